// Projections on the PostgreSQL store, one JSON line (see runProjectionBench): rebuild and catch-up of
// a simple projection (one upsert per event) over 100,000 events, each beside the store's raw readAll
// rate over the same log in the same run and the plain driver doing the same projection
// (rawProject); propagation delay append → async read model committed at a steady 500 appends/s, in
// the same log. The log is a fresh schema of FACTUM_PG_URL, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { type RawProjector, runProjectionBench } from './projection-support.js';

const url = process.env.FACTUM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `factum_bench_pj_${randomBytes(4).toString('hex')}`;
const pool = new pg.Pool({ connectionString: url, max: 8 });
pool.on('error', () => {});

/** The jsonb field expression Factum indexes and filters by (projections/postgres/sql/field-expression.ts). */
const customerId = `(CASE doc #> '{customerId}' WHEN 'true' THEN '1'::jsonb WHEN 'false' THEN '0'::jsonb WHEN 'null' THEN NULL ELSE doc #> '{customerId}' END)`;

/**
 * pg on the same pool: a document table (id text, doc jsonb), its expression index and a checkpoint
 * table as Factum creates them (create-generation.ts, follow migration 0015); per page one plain
 * SELECT (json parsed by the driver), then in one transaction (synchronous_commit on, the server's
 * default, as Factum's) one INSERT … SELECT FROM jsonb_to_recordset ON CONFLICT DO UPDATE of the
 * page's documents and the checkpoint upsert.
 */
function rawProjector(): RawProjector {
  const docs = `"${schema}".raw_project_docs`;
  const checkpoints = `"${schema}".raw_project_checkpoints`;
  const drop = async () => {
    await pool.query(`DROP TABLE IF EXISTS ${docs}`);
    await pool.query(`DROP TABLE IF EXISTS ${checkpoints}`);
  };
  return {
    async setup() {
      await drop();
      await pool.query(`CREATE TABLE ${docs} (id text NOT NULL PRIMARY KEY, doc jsonb NOT NULL)`);
      await pool.query(`CREATE INDEX raw_project_docs__ix ON ${docs} (${customerId})`);
      await pool.query(`CREATE TABLE ${checkpoints} (
        name text NOT NULL PRIMARY KEY, position bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
    },
    async read(after, limit) {
      // The store's own column list (int8 read as text, the timestamp as epoch ms).
      const { rows } = await pool.query<unknown[]>({
        name: `raw_project_read_${schema}`,
        text: `SELECT position, event_id, stream_id, version, category, type, schema_version, data, metadata,
            date_part('epoch', recorded_at) * 1000
          FROM "${schema}".factum_events WHERE position > $1 ORDER BY position LIMIT $2`,
        values: [after, limit],
        rowMode: 'array',
      });
      const data = new Array<unknown>(rows.length);
      for (let i = 0; i < rows.length; i++) data[i] = rows[i]![7];
      return { data, last: rows.length === 0 ? after : Number(rows.at(-1)![0]) };
    },
    async write(page, position) {
      const records = new Array<string>(page.length);
      for (let i = 0; i < page.length; i++) {
        const [id, json] = page[i]!;
        records[i] = `{"id":${JSON.stringify(id)},"doc":${json}}`;
      }
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO ${docs} (id, doc) SELECT id, doc FROM jsonb_to_recordset($1::jsonb) AS r(id text, doc jsonb)
           ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
          [`[${records.join(',')}]`],
        );
        await client.query(
          `INSERT INTO ${checkpoints} (name, position) VALUES ('raw', $1)
           ON CONFLICT (name) DO UPDATE SET position = GREATEST(${checkpoints}.position, excluded.position), updated_at = now()`,
          [position],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async count() {
      const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${docs}`);
      return rows[0]!.n;
    },
    close: drop,
  };
}

try {
  await runProjectionBench({
    bench: 'projections-postgres',
    open: () => createPostgresStore({ pool, schema, migrate: true }),
    throughputTarget: '>= 20,000 events/s',
    catchUpTimeoutMs: 300_000,
    raw: rawProjector,
    // Factum's runner and rebuild read the next page while applying one on PostgreSQL.
    rawPrefetch: true,
    // The planner statistics a server with autovacuum on has gathered by then (this machine's runs
    // with it off): without them the first reads on each connection are planned as a scan and sort
    // of the rest of the log (docs/benchmarks.md), whichever pass comes first pays it.
    async afterFill() {
      await pool.query(`ANALYZE "${schema}".factum_events`);
    },
  });
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
  await pool.end();
}
