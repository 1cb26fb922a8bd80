import type Database from 'better-sqlite3';
import { StoreCorruptError } from '../../../core/errors.js';
import { migration as m0001 } from './0001-create-events.js';
import { migration as m0002 } from './0002-forbid-event-updates.js';
import { migration as m0003 } from './0003-forbid-event-deletes.js';
import { migration as m0004 } from './0004-create-snapshots.js';
import { migration as m0005 } from './0005-create-projections.js';
import { migration as m0006 } from './0006-create-projection-dead-letters.js';
import { migration as m0007 } from './0007-create-projection-leases.js';
import { migration as m0010 } from './0010-create-checkpoints.js';
import { migration as m0011 } from './0011-create-leases.js';
import { migration as m0012 } from './0012-create-outbox.js';
import { migration as m0013 } from './0013-create-inbox.js';
import { migration as m0015 } from './0015-one-lease-and-checkpoint-table.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Numbered migrations, applied in order, each once, each in its own transaction. Numbers are reserved
 * per area: 0004 snapshots, 0005–0009 projections, 0010–0014 messaging (checkpoints, leases, outbox, inbox).
 */
export const migrations: readonly Migration[] = [
  m0001,
  m0002,
  m0003,
  m0004,
  m0005,
  m0006,
  m0007,
  m0010,
  m0011,
  m0012,
  m0013,
  m0015,
];

const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS factum_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT`;

/**
 * Brings the database up to the latest migration. Safe when several processes open the same file at
 * once: each migration runs under BEGIN IMMEDIATE and re-checks the ledger inside the transaction.
 * Returns the versions it applied.
 */
export function migrate(db: Database.Database): number[] {
  db.exec(CREATE_LEDGER);
  const applied: number[] = [];
  const isApplied = db.prepare<[number], { version: number }>(
    'SELECT version FROM factum_migrations WHERE version = ?',
  );
  const record = db.prepare<[number, string, number]>(
    'INSERT INTO factum_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const latestKnown = migrations.at(-1)?.version ?? 0;
  const newest = db
    .prepare<[], { v: number | null }>('SELECT max(version) AS v FROM factum_migrations')
    .get()?.v;
  if (newest !== null && newest !== undefined && newest > latestKnown) {
    throw new StoreCorruptError(
      `The database is at migration ${newest}, newer than this version of Factum knows (${latestKnown}); upgrade Factum`,
    );
  }
  for (const m of migrations) {
    const run = db.transaction(() => {
      if (isApplied.get(m.version) !== undefined) return false;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
      return true;
    });
    if (run.immediate()) applied.push(m.version);
  }
  return applied;
}
