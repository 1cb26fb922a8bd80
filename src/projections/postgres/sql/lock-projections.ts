import type { ProjectionTables, Queryable } from './tables.js';

/**
 * The first statement of every projection write transaction: a transaction-scoped advisory lock per
 * schema, so projection transactions of all processes serialise as SQLite's single writer makes them
 * (a dead-letter action never interleaves with a batch). Released at commit or rollback, so it also
 * holds behind transaction-pooling proxies.
 */
export async function lockProjections(db: Queryable, t: ProjectionTables): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`factum:projections:${t.schema.schema}`]);
}
