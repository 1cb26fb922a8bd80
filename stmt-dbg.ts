import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { migrate } from './src/stores/postgres/index.js';
const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', max: 16 });
const schema = 'stmt_' + Date.now().toString(36);
await migrate({ pool, schema });
const T = `"${schema}".factum_events`;
const cols = '(position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)';
const sel = `SELECT pg_current_xact_id()::text::bigint * 65536 + 1, $4::uuid, $1, h.v + 1, $2, $5, $6::int, $7::json, $8::json, date_trunc('milliseconds', now())`;
const cond = `CASE $3::bigint WHEN -1 THEN true WHEN -2 THEN h.v > 0 ELSE h.v = $3::bigint END`;
const variants: Record<string, string> = {
  old: `INSERT INTO ${T} ${cols} ${sel} FROM (SELECT coalesce(max(version), 0) AS v FROM ${T} WHERE stream_id = $1) AS h WHERE ${cond} RETURNING version, position`,
  nolookup: `WITH h AS MATERIALIZED (SELECT coalesce(max(version), 0) AS v FROM ${T} WHERE stream_id = $1),
w AS (INSERT INTO ${T} ${cols} ${sel} FROM h WHERE ${cond} RETURNING version, position)
SELECT 'w', 1, max(position), NULL::uuid, NULL::text, max(version) FROM w HAVING count(*) > 0
UNION ALL SELECT 'h', 1, NULL, NULL, NULL, h.v FROM h WHERE NOT EXISTS (SELECT FROM w)`,
  headonly: `INSERT INTO ${T} ${cols} ${sel} FROM (SELECT coalesce(max(version), 0) AS v FROM ${T} WHERE stream_id = $1) AS h WHERE ${cond} RETURNING version, position`,
  current: `WITH h AS MATERIALIZED (SELECT coalesce(max(version), 0) AS v FROM ${T} WHERE stream_id = $1),
s AS MATERIALIZED (SELECT position, event_id, stream_id, version FROM ${T} WHERE event_id = ANY ($9::uuid[])),
w AS (INSERT INTO ${T} ${cols} ${sel} FROM h WHERE ${cond} AND NOT EXISTS (SELECT FROM s) RETURNING version, position)
SELECT 'w', 1, max(position), NULL::uuid, NULL::text, max(version) FROM w HAVING count(*) > 0
UNION ALL SELECT 'h', 1, NULL, NULL, NULL, h.v FROM h WHERE NOT EXISTS (SELECT FROM w)
UNION ALL SELECT 's', 1, position, event_id, stream_id, version FROM s`,
};
let stream = 0;
async function run(name: string, n: number) {
  const sql = variants[name]!;
  const withIds = name === 'current';
  let next = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < n) {
      next++;
      const v = [`s-${stream++}`, 's', -1, randomUUID(), 'T', 1, '{}', '{}'];
      if (withIds) v.push('{}');
      await pool.query({ name: `${schema}_${name}`, text: sql, values: v });
    }
  }));
  return Math.round(n / ((performance.now() - t) / 1000));
}
for (let round = 0; round < 3; round++) for (const name of ['old', 'nolookup', 'current']) console.log(round, name, await run(name, 6000));
await pool.query(`DROP SCHEMA "${schema}" CASCADE`); await pool.end();
