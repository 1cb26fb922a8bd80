import type { ProjectionTables, Queryable } from './tables.js';

/** How many committed events follow a position (an index range count). */
export async function countEventsAfter(
  db: Queryable,
  t: ProjectionTables,
  position: bigint,
): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${t.schema.events} WHERE position > $1::bigint`,
    [position.toString()],
  );
  return Number(rows[0]?.n ?? '0');
}
