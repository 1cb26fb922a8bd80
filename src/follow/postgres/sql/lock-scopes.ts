import type { SchemaNames } from '../../../stores/postgres/kit.js';
import type { Queryable } from './queryable.js';

/** The database clock when the locks were granted (ms since the epoch). */
const CLOCK = 'extract(epoch from clock_timestamp())::float8 * 1000 AS now';

/**
 * The first statements of every follower write transaction (leases, checkpoints, projection batches):
 * transaction-scoped advisory locks, so these transactions of all processes serialise as SQLite's
 * single writer makes them, but per scope. A transaction with scopes (a projection's name, a relay's
 * lease) takes the schema's lock shared, then each scope's own lock (a two-key lock: schema and
 * scope); a transaction without scopes (`null`) takes the schema's lock exclusively, excluding every
 * scope. Always the schema's lock first, and several scopes' locks in name order, so no two
 * transactions wait for each other. The locks end with the transaction, so they hold behind
 * transaction-pooling proxies too. Returns the database clock read once the locks were granted
 * (leases and lag compare against database time).
 */
export async function lockScopes(
  db: Queryable,
  names: SchemaNames,
  scopes: readonly string[] | null,
): Promise<number> {
  // The key keeps the name it had when only projections took these locks: processes of one schema agree.
  const schemaKey = `factum:projections:${names.schema}`;
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
