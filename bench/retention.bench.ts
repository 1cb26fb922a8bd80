// Retention: how fast prune deletes, and how long its longest batch transaction lasts (the time a
// writer may wait behind it), for 100,000 old rows among 1,000 streams plus 20,000 young ones.
// (a) SQLite outbox, (b) SQLite inbox, (c) PostgreSQL outbox, (d) PostgreSQL inbox, each with the
// default batch of 1,000 rows. The raw figure is one plain DELETE of the same rows in one transaction
// (what the "scheduled DELETE" advice did): faster, but holding every row lock for its whole length.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { postgresInbox, postgresOutbox } from '../src/messaging/postgres/index.js';
import { sqliteInbox, sqliteOutbox } from '../src/messaging/sqlite/sqlite-storage.js';
import { migrate as migratePostgres } from '../src/stores/postgres/index.js';
import { migrate as migrateSqlite } from '../src/stores/sqlite/index.js';
import { type Figure, rate, report, since } from './support.js';

const url = process.env.FACTUM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const OLD = 100_000;
const YOUNG = 20_000;
const STREAMS = 1_000;
const DAY = 86_400_000;

/** Times each batch through a wrapped query/transaction; returns the longest. */
function longest(times: number[]): Figure {
  return { value: Math.round(Math.max(...times) * 10) / 10, unit: 'ms' };
}

function fillSqlite(db: Database.Database) {
  const now = Date.now();
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${OLD + YOUNG})
     INSERT INTO factum_outbox (event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at, published_at)
     SELECT printf('%08d-0000-7000-8000-000000000000', i), 's-' || (i % ${STREAMS}), (i / ${STREAMS}) + 1, 's', 'T', 1,
            '{"orderId":"42","total":4999}', '{}', ?, ?
     FROM n`,
  ).run(now - 10 * DAY, now - 10 * DAY);
  db.prepare(`UPDATE factum_outbox SET recorded_at = ?, published_at = ? WHERE position > ${OLD}`).run(
    now,
    now,
  );
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${OLD + YOUNG})
     INSERT INTO factum_inbox (consumer, event_id, processed_at)
     SELECT 'c' || (i % 4), printf('%08d-0000-7000-8000-000000000000', i), CASE WHEN i <= ${OLD} THEN ? ELSE ? END FROM n`,
  ).run(now - 40 * DAY, now);
}

async function sqlite(figures: Record<string, Figure>) {
  const dir = mkdtempSync(join(tmpdir(), 'factum-retention-bench-'));
  try {
    const open = (name: string) => {
      const db = new Database(join(dir, name));
      db.pragma('journal_mode = WAL');
      migrateSqlite(db);
      fillSqlite(db);
      return db;
    };
    const raw = open('raw.db');
    let start = performance.now();
    const rawOutbox = raw
      .prepare(`DELETE FROM factum_outbox WHERE published_at < ?`)
      .run(Date.now() - 7 * DAY).changes;
    const rawOutboxMs = since(start);
    start = performance.now();
    const rawInbox = raw
      .prepare(`DELETE FROM factum_inbox WHERE processed_at < ?`)
      .run(Date.now() - 30 * DAY).changes;
    const rawInboxMs = since(start);
    raw.close();

    const db = open('factum.db');
    const times: number[] = [];
    const handle = {
      database: db,
      async transaction<T>(task: () => T): Promise<T> {
        const t = performance.now();
        try {
          return db.transaction(task).immediate();
        } finally {
          times.push(since(t));
        }
      },
    };
    start = performance.now();
    const outboxDeleted = await sqliteOutbox(handle).prune({ olderThan: 7 * DAY });
    figures.sqliteOutbox = {
      ...rate(outboxDeleted, since(start), Math.round((rawOutbox / rawOutboxMs) * 1000)),
      unit: 'rows/s',
    };
    figures.sqliteOutboxLongestBatch = { ...longest(times), raw: Math.round(rawOutboxMs) };
    times.length = 0;
    start = performance.now();
    const inboxDeleted = await sqliteInbox(handle).prune({ olderThan: 30 * DAY });
    figures.sqliteInbox = {
      ...rate(inboxDeleted, since(start), Math.round((rawInbox / rawInboxMs) * 1000)),
      unit: 'rows/s',
    };
    figures.sqliteInboxLongestBatch = { ...longest(times), raw: Math.round(rawInboxMs) };
    figures.sqliteDeleted = { value: outboxDeleted + inboxDeleted, unit: 'rows', raw: rawOutbox + rawInbox };
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgres(figures: Record<string, Figure>) {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const schemas: string[] = [];
  const fill = async () => {
    const schema = `factum_bench_ret_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    await migratePostgres({ pool, schema });
    await pool.query(
      `INSERT INTO "${schema}".factum_outbox (event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at, published_at)
       SELECT gen_random_uuid(), 's-' || (i % ${STREAMS}), (i / ${STREAMS}) + 1, 's', 'T', 1, '{"orderId":"42","total":4999}', '{}',
              CASE WHEN i <= ${OLD} THEN now() - interval '10 days' ELSE now() END,
              CASE WHEN i <= ${OLD} THEN now() - interval '10 days' ELSE now() END
       FROM generate_series(1, ${OLD + YOUNG}) AS i`,
    );
    await pool.query(
      `INSERT INTO "${schema}".factum_inbox (consumer, event_id, processed_at)
       SELECT 'c' || (i % 4), gen_random_uuid()::text, CASE WHEN i <= ${OLD} THEN now() - interval '40 days' ELSE now() END
       FROM generate_series(1, ${OLD + YOUNG}) AS i`,
    );
    await pool.query(`VACUUM ANALYZE "${schema}".factum_outbox`);
    await pool.query(`VACUUM ANALYZE "${schema}".factum_inbox`);
    return schema;
  };
  try {
    const rawSchema = await fill();
    let start = performance.now();
    const rawOutbox =
      (
        await pool.query(
          `DELETE FROM "${rawSchema}".factum_outbox WHERE published_at < now() - interval '7 days'`,
        )
      ).rowCount ?? 0;
    const rawOutboxMs = since(start);
    start = performance.now();
    const rawInbox =
      (
        await pool.query(
          `DELETE FROM "${rawSchema}".factum_inbox WHERE processed_at < now() - interval '30 days'`,
        )
      ).rowCount ?? 0;
    const rawInboxMs = since(start);

    const schema = await fill();
    const times: number[] = [];
    const timed = {
      async query(config: pg.QueryConfig) {
        const t = performance.now();
        try {
          return await pool.query(config);
        } finally {
          times.push(since(t));
        }
      },
    } as unknown as pg.Pool;
    start = performance.now();
    const outboxDeleted = await postgresOutbox({ pool: timed, schema }).prune({ olderThan: 7 * DAY });
    figures.postgresOutbox = {
      ...rate(outboxDeleted, since(start), Math.round((rawOutbox / rawOutboxMs) * 1000)),
      unit: 'rows/s',
    };
    figures.postgresOutboxLongestBatch = { ...longest(times), raw: Math.round(rawOutboxMs) };
    times.length = 0;
    start = performance.now();
    const inboxDeleted = await postgresInbox({ pool: timed, schema }).prune({ olderThan: 30 * DAY });
    figures.postgresInbox = {
      ...rate(inboxDeleted, since(start), Math.round((rawInbox / rawInboxMs) * 1000)),
      unit: 'rows/s',
    };
    figures.postgresInboxLongestBatch = { ...longest(times), raw: Math.round(rawInboxMs) };
    figures.postgresDeleted = {
      value: outboxDeleted + inboxDeleted,
      unit: 'rows',
      raw: rawOutbox + rawInbox,
    };
  } finally {
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
}

const figures: Record<string, Figure> = {};
await sqlite(figures);
await postgres(figures).catch((error: unknown) => {
  process.stderr.write(`retention bench: PostgreSQL skipped: ${String(error)}\n`);
});
report('retention', figures, { oldRows: OLD, youngRows: YOUNG, streams: STREAMS, batchSize: 1_000 });
