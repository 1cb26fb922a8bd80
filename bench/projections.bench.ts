// Projections on the SQLite store, one JSON line (see runProjectionBench): rebuild and catch-up of a
// simple projection (one upsert per event) over 100,000 events, each beside the store's raw readAll
// rate over the same log in the same run and the plain driver doing the same projection
// (rawProject); propagation delay append → async read model committed at a steady 500 appends/s, in
// the same log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSqliteStore } from '../src/stores/sqlite/index.js';
import { type RawProjector, runProjectionBench } from './projection-support.js';

const synchronous = (process.env.FACTUM_BENCH_SYNC ?? 'FULL') as 'FULL' | 'NORMAL';
const dir = mkdtempSync(join(tmpdir(), 'factum-bench-projections-'));
const file = join(dir, 'log.db');

/**
 * better-sqlite3 on its own connection to the log's file: a document table, its expression index and
 * a checkpoint table as Factum creates them (create-generation.ts, follow migration 0015); the page's
 * upserts (one prepared INSERT … ON CONFLICT DO UPDATE run per row) and the checkpoint in one
 * BEGIN IMMEDIATE transaction at synchronous=NORMAL, as Factum commits its projection transactions
 * (derived rows: atomic, not fsynced one by one; the appends stay FULL).
 */
function rawProjector(): RawProjector {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const drop = () =>
    db.exec('DROP TABLE IF EXISTS raw_project_docs; DROP TABLE IF EXISTS raw_project_checkpoints');
  drop();
  db.exec(`CREATE TABLE raw_project_docs (id TEXT NOT NULL PRIMARY KEY, doc TEXT NOT NULL) STRICT;
CREATE INDEX raw_project_docs__ix ON raw_project_docs (json_extract(doc, '$.customerId'));
CREATE TABLE raw_project_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT`);
  const select = db
    .prepare<[number, number], [number, string]>(
      'SELECT position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at FROM factum_events WHERE position > ? ORDER BY position LIMIT ?',
    )
    .raw();
  const upsert = db.prepare(
    'INSERT INTO raw_project_docs (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc',
  );
  const checkpoint = db.prepare(
    `INSERT INTO raw_project_checkpoints (name, position, updated_at) VALUES ('raw', ?, ?)
     ON CONFLICT (name) DO UPDATE SET position = max(position, excluded.position), updated_at = excluded.updated_at`,
  );
  const write = db.transaction((docs: readonly [string, string][], position: number) => {
    for (const [id, json] of docs) upsert.run(id, json);
    checkpoint.run(position, Date.now());
  }).immediate;
  return {
    setup() {},
    read(after, limit) {
      const rows = select.all(after, limit) as unknown as unknown[][];
      const data = new Array<unknown>(rows.length);
      for (let i = 0; i < rows.length; i++) data[i] = JSON.parse(rows[i]![7] as string);
      return { data, last: rows.length === 0 ? after : (rows.at(-1)![0] as number) };
    },
    write,
    count: () => db.prepare('SELECT count(*) FROM raw_project_docs').pluck().get() as number,
    close() {
      drop();
      db.close();
    },
  };
}

try {
  await runProjectionBench({
    bench: 'projections-sqlite',
    open: () => createSqliteStore(file, { synchronous }),
    throughputTarget: '>= 50,000 events/s',
    catchUpTimeoutMs: 120_000,
    extra: { synchronous },
    raw: rawProjector,
    rawPrefetch: false,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
