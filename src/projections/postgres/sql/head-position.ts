import type { ProjectionTables, Queryable } from './tables.js';

/** Position of the last committed event (0n when the log is empty); the primary key answers it. */
export async function headPosition(db: Queryable, t: ProjectionTables): Promise<bigint> {
  const { rows } = await db.query<{ head: string }>(
    `SELECT coalesce(max(position), 0)::text AS head FROM ${t.schema.events}`,
  );
  return BigInt(rows[0]?.head ?? '0');
}
