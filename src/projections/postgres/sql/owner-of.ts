import type { ProjectionTables, Queryable } from './tables.js';

/** The projection that owns a read-model name. */
export async function ownerOf(db: Queryable, t: ProjectionTables, name: string): Promise<string | undefined> {
  const { rows } = await db.query<{ projection: string }>(
    `SELECT projection FROM ${t.objects} WHERE name = $1`,
    [name],
  );
  return rows[0]?.projection;
}
