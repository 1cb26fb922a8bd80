import type { ProjectionTables, Queryable } from './tables.js';

/** The database clock when the locks were granted (ms since the epoch). */
const CLOCK = 'extract(epoch from clock_timestamp())::float8 * 1000 AS now';

/**
 * The first statements of every projection write transaction: transaction-scoped advisory locks, so
 * projection transactions of all processes serialise as SQLite's single writer makes them, but per
 * projection. A transaction scoped to a projection takes the schema's lock shared, then the
 * projection's own lock (a two-key lock: schema and name); a transaction without a scope takes the
 * schema's lock exclusively, excluding every projection. Always the schema's lock first, and several
 * projections' locks in name order, so no two transactions wait for each other. The locks end with
 * the transaction, so they hold behind transaction-pooling proxies too. Returns the database clock
 * read once the locks were granted (leases and lag compare against database time).
 */
export async function lockProjections(
  db: Queryable,
  t: ProjectionTables,
  scopes: readonly string[] | null,
): Promise<number> {
  const schemaKey = `factum:projections:${t.schema.schema}`;
  const clock = (rows: { now: number }[]) => Number(rows[0]?.now);
  if (scopes === null) {
    const { rows } = await db.query(`SELECT pg_advisory_xact_lock(hashtext($1)), ${CLOCK}`, [schemaKey]);
    return clock(rows);
  }
  const sorted = [...new Set(scopes)].sort();
  if (sorted.length === 0) {
    const { rows } = await db.query(`SELECT pg_advisory_xact_lock_shared(hashtext($1)), ${CLOCK}`, [
      schemaKey,
    ]);
    return clock(rows);
  }
  // One round trip for the usual case: the CTE is evaluated before the outer select list, and the
  // select list from left to right.
  let { rows } = await db.query(
    `WITH s AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(hashtext($1)))
SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2)), ${CLOCK} FROM s`,
    [schemaKey, sorted[0]],
  );
  for (const scope of sorted.slice(1)) {
    ({ rows } = await db.query(`SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2)), ${CLOCK}`, [
      schemaKey,
      scope,
    ]));
  }
  return clock(rows);
}
