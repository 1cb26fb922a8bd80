import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sqliteInbox, sqliteOutbox } from 'factum/messaging';
import { migrate } from 'factum/postgres';
import { migrate as migrateSqlite } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { readPage } from '../support/relay-pages.js';
import { services } from '../support/services.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-retention-cli-');
const postgres = await probePostgres();
const DAY = 86_400_000;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { cwd: process.cwd(), out: (t: string) => out.push(t), err: (t: string) => err.push(t), env: {} },
    out,
    err,
  };
}

/** A SQLite file with 5 outbox rows of stream s (published 10 days ago) and 2 inbox records (40 days old). */
async function sqliteFile(name: string): Promise<string> {
  const file = join(dir, name);
  const db = new Database(file);
  migrateSqlite(db);
  const outbox = sqliteOutbox(db);
  db.transaction(() => {
    for (let i = 0; i < 5; i++) outbox.enqueue(db, { streamId: 's', type: 'T', data: {} });
  })();
  await (await readPage(outbox.source(), 10)).commit();
  db.prepare('UPDATE factum_outbox SET published_at = ?').run(Date.now() - 10 * DAY);
  const inbox = sqliteInbox(db);
  await inbox.process('billing', { id: 'e1' }, () => {});
  await inbox.process('shipping', { id: 'e1' }, () => {});
  db.prepare('UPDATE factum_inbox SET processed_at = ?').run(Date.now() - 40 * DAY);
  db.close();
  return file;
}

const count = (file: string, table: string) => {
  const db = new Database(file);
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('factum outbox prune / inbox prune', () => {
  it('prunes a SQLite file: outbox rows published before --older-than, inbox records of one consumer or all', async () => {
    const file = await sqliteFile('app.db');
    const keep = io();
    expect(
      await runCli(['outbox', 'prune', '--older-than', '11d', '--store', `sqlite:${file}`], keep.io),
    ).toBe(0);
    expect(keep.out.join('')).toMatch(/^Deleted 0 outbox rows published before \d{4}-.*Z from .*app\.db/);
    const run = io();
    expect(await runCli(['outbox', 'prune', '--older-than', '7d', '--store', `sqlite:${file}`], run.io)).toBe(
      0,
    );
    expect(run.out.join('')).toMatch(
      /^Deleted 4 outbox rows published before .* \(unpublished rows and the newest row of each stream are kept\)\n$/,
    );
    expect(count(file, 'factum_outbox')).toBe(1);

    const one = io();
    expect(
      await runCli(
        ['inbox', 'prune', '--older-than', '30d', '--consumer', 'billing', '--store', `sqlite:${file}`],
        one.io,
      ),
    ).toBe(0);
    expect(one.out.join('')).toMatch(/^Deleted 1 inbox record of billing processed before /);
    const all = io();
    all.io.env = { FACTUM_STORE_URL: `sqlite:${file}` };
    expect(await runCli(['inbox', 'prune', '--older-than', '30d', '--batch-size', '1'], all.io)).toBe(0);
    expect(all.out.join('')).toMatch(/^Deleted 1 inbox record processed before /);
    expect(count(file, 'factum_inbox')).toBe(0);
  });

  it('refuses bad arguments with exit code 2 and says why', async () => {
    const file = await sqliteFile('bad.db');
    const cases: [string[], RegExp][] = [
      [
        ['outbox', 'prune', '--older-than', '7', '--store', `sqlite:${file}`],
        /--older-than must be a duration.*number without a unit/,
      ],
      [
        ['outbox', 'prune', '--older-than', 'soon', '--store', `sqlite:${file}`],
        /--older-than must be a duration/,
      ],
      [['outbox', 'prune', '--store', `sqlite:${file}`], /required option '--older-than <duration>'/],
      [
        ['inbox', 'prune', '--older-than', '30d', '--batch-size', '0', '--store', `sqlite:${file}`],
        /batchSize must be an integer from 1 to 10000/,
      ],
      [
        ['inbox', 'prune', '--older-than', '30d', '--batch-size', 'x', '--store', `sqlite:${file}`],
        /--batch-size must be a whole number/,
      ],
      [['inbox', 'prune', '--older-than', '30d'], /no store: pass --store <url> or set FACTUM_STORE_URL/],
      [
        ['inbox', 'prune', '--older-than', '30d', '--store', `sqlite:${join(dir, 'missing.db')}`],
        /no SQLite database at .*missing\.db/,
      ],
      [['inbox', 'prune', '--older-than', '30d', '--store', 'memory:'], /unsupported store URL memory:/],
    ];
    for (const [argv, message] of cases) {
      const run = io();
      expect(await runCli(argv, run.io), argv.join(' ')).toBe(2);
      expect(run.err.join(''), argv.join(' ')).toMatch(message);
    }
    expect(count(file, 'factum_outbox')).toBe(5);
    expect(count(file, 'factum_inbox')).toBe(2);
  });

  describe.skipIf(!postgres.available)('PostgreSQL', () => {
    const { pool, dropLater } = testPool();
    const nextSchema = schemaNamer('factum_retcli');

    it('prunes a PostgreSQL schema given by --schema', async () => {
      const schema = nextSchema();
      dropLater(schema);
      await migrate({ pool, schema });
      await pool.query(
        `INSERT INTO "${schema}".factum_outbox
           (event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at, published_at)
         SELECT gen_random_uuid(), 's', v, 's', 'T', 1, '{}', '{}', now() - interval '9 days', now() - interval '8 days'
         FROM generate_series(1, 3) AS v`,
      );
      await pool.query(
        `INSERT INTO "${schema}".factum_inbox (consumer, event_id, processed_at) VALUES
           ('billing', 'e1', now() - interval '31 days'), ('billing', 'e2', now() - interval '29 days')`,
      );
      const outbox = io();
      expect(
        await runCli(
          ['outbox', 'prune', '--older-than', '7d', '--store', services.postgres, '--schema', schema],
          outbox.io,
        ),
      ).toBe(0);
      expect(outbox.out.join('')).toMatch(new RegExp(`^Deleted 2 outbox rows .* from schema ${schema} `));
      const inbox = io();
      expect(
        await runCli(
          ['inbox', 'prune', '--older-than', '30d', '--store', services.postgres, '--schema', schema],
          inbox.io,
        ),
      ).toBe(0);
      expect(inbox.out.join('')).toMatch(
        new RegExp(`^Deleted 1 inbox record processed before .* from schema ${schema}\\n$`),
      );
      const left = await pool.query(`SELECT event_id FROM "${schema}".factum_inbox`);
      expect(left.rows).toEqual([{ event_id: 'e2' }]);
    });
  });
});
