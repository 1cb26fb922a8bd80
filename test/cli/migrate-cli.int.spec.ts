import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { probeService, services } from '../support/services.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-migrate-');
const postgres = await probeService('postgres', services.postgres, async () => {
  const client = new pg.Client({ connectionString: services.postgres });
  await client.connect();
  await client.end();
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { cwd: process.cwd(), out: (t: string) => out.push(t), err: (t: string) => err.push(t) },
    out,
    err,
  };
}

describe('factum migrate', () => {
  it('migrates a SQLite file, then finds it up to date', async () => {
    const file = join(dir, 'app.db');
    const first = io();
    expect(await runCli(['migrate', `sqlite:${file}`], first.io)).toBe(0);
    expect(first.out.join('')).toMatch(/^Applied migrations 1, 2, 3, 4, .* to .*app\.db\n$/);
    const second = io();
    expect(await runCli(['migrate', `sqlite:${file}`], second.io)).toBe(0);
    expect(second.out.join('')).toMatch(/app\.db is up to date/);
  });

  it.skipIf(!postgres.available)('migrates a PostgreSQL schema, then finds it up to date', async () => {
    const schema = `factum_cli_${Date.now().toString(36)}`;
    try {
      const first = io();
      expect(await runCli(['migrate', services.postgres, '--schema', schema], first.io)).toBe(0);
      expect(first.out.join('')).toMatch(new RegExp(`^Applied migrations 1, .* to schema ${schema}\\n$`));
      const second = io();
      expect(await runCli(['migrate', services.postgres, '--schema', schema], second.io)).toBe(0);
      expect(second.out.join('')).toBe(`schema ${schema} is up to date\n`);
    } finally {
      const client = new pg.Client({ connectionString: services.postgres });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  });

  it('refuses an unknown URL with exit code 2', async () => {
    const run = io();
    expect(await runCli(['migrate', 'mysql://x'], run.io)).toBe(2);
    expect(run.err.join('')).toMatch(/unsupported store URL mysql:\/\/x/);
  });
});
