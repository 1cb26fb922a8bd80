import type { ProjectionTables, Queryable } from './tables.js';

/** Ordering keys that have a dead or parked event in this generation. */
export async function blockedKeys(
  db: Queryable,
  t: ProjectionTables,
  projection: string,
  generation: number,
): Promise<Set<string>> {
  const { rows } = await db.query<{ ordering_key: string }>(
    `SELECT DISTINCT ordering_key FROM ${t.deadLetters}
      WHERE projection = $1 AND generation = $2 AND ordering_key IS NOT NULL`,
    [projection, generation],
  );
  return new Set(rows.map((r) => r.ordering_key));
}
