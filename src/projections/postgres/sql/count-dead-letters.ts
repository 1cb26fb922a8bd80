import type { ProjectionTables, Queryable } from './tables.js';

export async function countDeadLetters(
  db: Queryable,
  t: ProjectionTables,
  projection: string,
  generation: number,
): Promise<{ dead: number; parked: number }> {
  const { rows } = await db.query<{ dead: number; parked: number }>(
    `SELECT count(*) FILTER (WHERE status = 'dead')::int AS dead, count(*) FILTER (WHERE status = 'parked')::int AS parked
       FROM ${t.deadLetters} WHERE projection = $1 AND generation = $2`,
    [projection, generation],
  );
  return { dead: rows[0]?.dead ?? 0, parked: rows[0]?.parked ?? 0 };
}
