// SQLite store beside the raw better-sqlite3 limit, same machine, same run, same payload and table.
// (a) 20,000 single-event appends to 2,000 streams; (b) the same events in appends of 20;
// (c) readAll of 100,000 events. Raw: one row per transaction; all rows in one transaction. Each
// batched append is a durable commit of its own, so the batched figure also shows raw with the same
// commits (transactions of 20 rows): the one-transaction raw commits once for all 20,000 rows.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { newEventId } from '../src/core/ids.js';
import { createSqliteStore, migrations } from '../src/stores/sqlite/index.js';
import { benchPayload, rate, readLog, report, since } from './support.js';

const synchronous = (process.env.FACTUM_BENCH_SYNC ?? 'FULL') as 'FULL' | 'NORMAL';
const SINGLE = Number(process.env.FACTUM_BENCH_SINGLE ?? 20_000);
const STREAMS = 2_000;
const BATCH = 20;
const READ = 100_000;
const dir = mkdtempSync(join(tmpdir(), 'factum-bench-'));

function rawDb(name: string): Database.Database {
  const db = new Database(join(dir, name));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  for (const m of migrations) db.exec(m.sql);
  return db;
}

const INSERT = `INSERT INTO factum_events
  (event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
  VALUES (?, ?, ?, 'order', 'OrderPlaced', 1, ?, ?, ?)`;

function rawSingle(): number {
  const db = rawDb('raw-single.db');
  const insert = db.prepare(INSERT);
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  const versions = new Array<number>(STREAMS).fill(0);
  const start = performance.now();
  for (let i = 0; i < SINGLE; i++) {
    const s = i % STREAMS;
    const p = benchPayload(i);
    begin.run();
    insert.run(
      newEventId(),
      `order-${s}`,
      ++versions[s]!,
      JSON.stringify(p.data),
      JSON.stringify(p.metadata),
      Date.now(),
    );
    commit.run();
  }
  const ms = since(start);
  db.close();
  return (SINGLE / ms) * 1000;
}

/** `count` rows, `rowsPerTransaction` to a transaction (`count`: all in one). */
function rawTransactions(count: number, rowsPerTransaction: number, file: string): number {
  const db = rawDb(file);
  const insert = db.prepare(INSERT);
  const versions = new Array<number>(STREAMS).fill(0);
  const start = performance.now();
  const insertRows = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const s = Math.floor(i / BATCH) % STREAMS;
      const p = benchPayload(i);
      insert.run(
        newEventId(),
        `order-${s}`,
        ++versions[s]!,
        JSON.stringify(p.data),
        JSON.stringify(p.metadata),
        Date.now(),
      );
    }
  });
  for (let i = 0; i < count; i += rowsPerTransaction) insertRows(i, Math.min(count, i + rowsPerTransaction));
  const ms = since(start);
  db.close();
  return (count / ms) * 1000;
}

function rawRead(file: string): number {
  const db = new Database(join(dir, file), { readonly: true });
  const select = db
    .prepare(
      'SELECT position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at FROM factum_events WHERE position > ? ORDER BY position LIMIT 1000',
    )
    .raw();
  let n = 0;
  const start = performance.now();
  for (let after = 0; ; ) {
    const rows = select.all(after) as unknown[][];
    if (rows.length === 0) break;
    for (const r of rows) {
      JSON.parse(r[7] as string);
      JSON.parse(r[8] as string);
    }
    n += rows.length;
    after = rows.at(-1)![0] as number;
  }
  const ms = since(start);
  db.close();
  return (n / ms) * 1000;
}

async function factumSingle(): Promise<number> {
  const store = createSqliteStore(join(dir, 'factum-single.db'), { synchronous });
  const versions = new Array<number>(STREAMS).fill(0);
  const start = performance.now();
  for (let i = 0; i < SINGLE; i++) {
    const s = i % STREAMS;
    const p = benchPayload(i);
    await store.append(`order-${s}`, [{ type: 'OrderPlaced', data: p.data, metadata: p.metadata }], {
      expectedVersion: versions[s]!,
    });
    versions[s]!++;
  }
  const ms = since(start);
  await store.close();
  return (SINGLE / ms) * 1000;
}

async function factumBatched(count: number, file: string): Promise<number> {
  const store = createSqliteStore(join(dir, file), { synchronous });
  const versions = new Array<number>(STREAMS).fill(0);
  const start = performance.now();
  for (let i = 0; i < count; i += BATCH) {
    const s = Math.floor(i / BATCH) % STREAMS;
    const events = Array.from({ length: BATCH }, (_, k) => {
      const p = benchPayload(i + k);
      return { type: 'OrderPlaced', data: p.data, metadata: p.metadata };
    });
    await store.append(`order-${s}`, events, { expectedVersion: versions[s]! });
    versions[s]! += BATCH;
  }
  const ms = since(start);
  await store.close();
  return (count / ms) * 1000;
}

async function factumRead(file: string): Promise<number> {
  const store = createSqliteStore(join(dir, file), { synchronous });
  const { events, ms } = await readLog(store);
  await store.close();
  return (events / ms) * 1000;
}

try {
  // Interleave raw and Factum so that disk and CPU noise hits both alike.
  const rawSingleRate = rawSingle();
  const singleRate = await factumSingle();
  const rawTxRate = rawTransactions(SINGLE, SINGLE, 'raw-batch.db');
  const batchRate = await factumBatched(SINGLE, 'factum-batch.db');
  const rawSameCommitsRate = rawTransactions(SINGLE, BATCH, 'raw-batch-commits.db');
  // The 100,000-event log both readers scan, written once by Factum (appends of 20).
  await factumBatched(READ, 'read.db');
  const rawReadRate = rawRead('read.db');
  const readRate = await factumRead('read.db');
  const round = (n: number) => Math.round(n);
  const batched = rate(SINGLE, (SINGLE / batchRate) * 1000, round(rawTxRate), '>= 0.60 of raw');
  batched.rawSameCommits = round(rawSameCommitsRate);
  batched.ratioSameCommits = Math.round((batchRate / rawSameCommitsRate) * 1000) / 1000;
  report(
    'sqlite-store',
    {
      singleAppends: rate(SINGLE, (SINGLE / singleRate) * 1000, round(rawSingleRate), '>= 0.70 of raw'),
      batchedAppends: batched,
      readAll: rate(READ, (READ / readRate) * 1000, round(rawReadRate), '>= 0.90 of raw'),
    },
    { synchronous, singleEvents: SINGLE, streams: STREAMS, batch: BATCH, readEvents: READ },
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
