import type { ProjectionTables, Queryable } from './tables.js';

/** Moves a generation's checkpoint (in the transaction that wrote the read-model rows). */
export async function setCheckpoint(
  db: Queryable,
  t: ProjectionTables,
  projection: string,
  generation: number,
  position: bigint,
): Promise<void> {
  await db.query(
    `INSERT INTO ${t.checkpoints} (projection, generation, position) VALUES ($1, $2, $3::bigint)
     ON CONFLICT (projection, generation) DO UPDATE SET position = excluded.position, updated_at = now()`,
    [projection, generation, position.toString()],
  );
}
