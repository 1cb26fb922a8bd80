// The store the CLI opens is the one the operator named: --schema and ?schema= reach a PostgreSQL
// schema other than 'factum', a store URL with a parameter Factum does not read is refused, and
// `factum lag` says when there is nothing to report.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createPostgresStore, migrate } from 'factum/postgres';
import { createProjections } from 'factum/projections';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { tallyProjection } from '../fixtures/tally-projection.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { services } from '../support/services.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-cli-store-url-');
const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const postgres = await probePostgres();

async function factum(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const io = { cwd: fixtures, out: (t: string) => (out += t), err: (t: string) => (err += t), env };
  const code = await runCli(args, io);
  return { out, err, code };
}

/** `url` with `?query` (or `&query` when it has one already). */
function withQuery(url: string, query: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

describe('factum lag on SQLite', () => {
  it('says when the store has no projections, and exits 1 naming each --expect projection missing', async () => {
    const file = join(dir, 'empty.db');
    await createSqliteStore(file).close();
    const empty = await factum(['lag', '--store', `sqlite:${file}`]);
    expect(empty).toMatchObject({ code: 0, out: `No projections in ${file}.\n`, err: '' });
    const json = await factum(['lag', '--json', '--store', `sqlite:${file}`]);
    expect(json).toMatchObject({ code: 0, out: '', err: `No projections in ${file}.\n` });

    const expected = await factum([
      'lag',
      '--store',
      `sqlite:${file}`,
      '--expect',
      'tally',
      '--expect',
      'orders',
    ]);
    expect(expected.code).toBe(1);
    expect(expected.err).toContain(`Expected projection tally is missing from ${file}\n`);
    expect(expected.err).toContain(`Expected projection orders is missing from ${file}\n`);

    const store = createSqliteStore(file);
    const projections = await createProjections(store, { async: [tallyProjection()] });
    projections.start();
    const { position } = await store.append('tally-1', [{ type: 'Counted', data: { n: 1 } }]);
    await projections.waitFor('tally', position);
    await projections.stop();
    await store.close();
    const found = await factum(['lag', '--store', `sqlite:${file}`, '--expect', 'tally']);
    expect(found.code).toBe(0);
    expect(found.out).toMatch(/^tally\s+async\s+1\s+1\/1\s+0\s/m);
    const partly = await factum([
      'lag',
      '--store',
      `sqlite:${file}`,
      '--expect',
      'tally',
      '--expect',
      'orders',
    ]);
    expect(partly.code).toBe(1);
    expect(partly.err).toBe(`Expected projection orders is missing from ${file}\n`);
  });

  it('refuses a missing file (without creating it) and a SQLite URL with a query', async () => {
    const missing = join(dir, 'typo.db');
    for (const args of [['lag'], ['dlq', 'list'], ['dlq', 'skip', '1']]) {
      const run = await factum([...args, '--store', `sqlite:${missing}`]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.err).toBe(`factum: no SQLite database at ${missing}\n`);
    }
    expect(existsSync(missing)).toBe(false);

    const file = join(dir, 'query.db');
    await createSqliteStore(file).close();
    const query = await factum(['lag', '--store', `sqlite:${file}?schema=abc`]);
    expect(query.code).toBe(2);
    expect(query.err).toMatch(/unsupported store URL sqlite:.*query\.db\?schema=abc \(.*query parameter/);
    expect(existsSync(`${file}?schema=abc`)).toBe(false);
  });
});

describe.skipIf(!postgres.available)('factum lag / dlq / rebuild / migrate on a PostgreSQL schema', () => {
  const { pool, dropLater } = testPool();
  const nextSchema = schemaNamer('factum_cliurl');

  /** A migrated schema with the tally projection caught up on 3 events. */
  async function schemaWithTally(): Promise<string> {
    const schema = nextSchema();
    dropLater(schema);
    await migrate({ pool, schema });
    const store = await createPostgresStore({ pool, schema });
    const projections = await createProjections(store, { async: [tallyProjection()] });
    projections.start();
    let position = 0n;
    for (let n = 0; n < 3; n++)
      ({ position } = await store.append('tally-1', [{ type: 'Counted', data: { n } }]));
    await projections.waitFor('tally', position);
    await projections.stop();
    await store.close();
    return schema;
  }

  it('reads the schema given by --schema or by ?schema= in the store URL', async () => {
    const schema = await schemaWithTally();
    const row = /^tally\s+async\s+1\s+\d+\/\d+\s+0\s/m;
    const byFlag = await factum(['lag', '--store', services.postgres, '--schema', schema]);
    expect(byFlag.err).toBe('');
    expect(byFlag.code).toBe(0);
    expect(byFlag.out).toMatch(row);

    const url = withQuery(services.postgres, `schema=${schema}`);
    const byUrl = await factum(['lag', '--store', url, '--expect', 'tally']);
    expect(byUrl.err).toBe('');
    expect(byUrl.code).toBe(0);
    expect(byUrl.out).toMatch(row);
    const byEnv = await factum(['lag', '--json'], { FACTUM_STORE_URL: url });
    expect(JSON.parse(byEnv.out)).toMatchObject({ name: 'tally', behind: 0 });
    // The same schema twice is not a conflict.
    expect((await factum(['lag', '--store', url, '--schema', schema])).code).toBe(0);

    for (const args of [
      ['dlq', 'list'],
      ['dlq', 'list', '--json'],
    ]) {
      const run = await factum([...args, '--store', services.postgres, '--schema', schema]);
      expect(run, args.join(' ')).toMatchObject({ code: 0, err: '' });
    }
    const skip = await factum(['dlq', 'skip', '1', '--store', url]);
    expect(skip.code).toBe(2);
    expect(skip.err).toMatch(/dead letter 1/i);

    const rebuild = await factum([
      'projections',
      'rebuild',
      'tally',
      '--projections',
      'cli-projections.ts',
      '--store',
      services.postgres,
      '--schema',
      schema,
    ]);
    expect(rebuild.code).toBe(0);
    expect(rebuild.out).toMatch(/^Rebuilt tally: generation 2 is live at position \d+ \(3 events in \d+ ms/);
    const after = await factum(['lag', '--json', '--store', url]);
    expect(JSON.parse(after.out)).toMatchObject({ name: 'tally', generation: 2 });
  });

  it('says when a schema has no projections, and exits 1 naming each --expect projection missing', async () => {
    const schema = nextSchema();
    dropLater(schema);
    await migrate({ pool, schema });
    const empty = await factum(['lag', '--store', services.postgres, '--schema', schema]);
    expect(empty).toMatchObject({ code: 0, out: `No projections in schema ${schema}.\n`, err: '' });
    const expected = await factum([
      'lag',
      '--store',
      services.postgres,
      '--schema',
      schema,
      '--expect',
      'tally',
    ]);
    expect(expected.code).toBe(1);
    expect(expected.out).toBe(`No projections in schema ${schema}.\n`);
    expect(expected.err).toBe(`Expected projection tally is missing from schema ${schema}\n`);
  });

  it('refuses an unknown query parameter, and a ?schema= that --schema contradicts', async () => {
    const schema = await schemaWithTally();
    const unknown = await factum([
      'lag',
      '--store',
      withQuery(services.postgres, `schema=${schema}&sslmod=require`),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(
      /^factum: Cannot open store: unsupported store URL postgres:.* \(unknown query parameter sslmod;/,
    );
    expect(unknown.out).toBe('');

    const conflict = await factum([
      'lag',
      '--store',
      withQuery(services.postgres, `schema=${schema}`),
      '--schema',
      'other',
    ]);
    expect(conflict.code).toBe(2);
    expect(conflict.err).toContain(`the store URL says schema=${schema} and --schema says other`);
    expect(conflict.out).toBe('');

    const twice = await factum([
      'dlq',
      'list',
      '--store',
      withQuery(services.postgres, `schema=${schema}&schema=x`),
    ]);
    expect(twice.code).toBe(2);
    expect(twice.err).toMatch(/schema is given twice/);
  });

  it('migrates and prunes the schema named by ?schema=', async () => {
    const schema = nextSchema();
    dropLater(schema);
    const url = withQuery(services.postgres, `schema=${schema}&application_name=factum_cli_test`);
    const migrated = await factum(['migrate', url]);
    expect(migrated.err).toBe('');
    expect(migrated.out).toMatch(new RegExp(`^Applied migrations 1, .* to schema ${schema}\\n$`));
    expect((await factum(['migrate', url, '--schema', 'other'])).code).toBe(2);
    const pruned = await factum(['outbox', 'prune', '--older-than', '7d', '--store', url]);
    expect(pruned.err).toBe('');
    expect(pruned.out).toMatch(new RegExp(`^Deleted 0 outbox rows .* from schema ${schema} `));
  });
});
