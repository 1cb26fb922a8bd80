import type { Pool } from 'pg';
import type { SchemaNames } from '../schema.js';

/** Deletes one decider's snapshot on a stream (name given), or every snapshot of the stream. */
export async function deleteSnapshots(
  pool: Pool,
  names: SchemaNames,
  streamId: string,
  name: string | undefined,
): Promise<void> {
  await pool.query({
    name: `${names.statementPrefix}delete_snapshots`,
    text: `DELETE FROM ${names.snapshots} WHERE stream_id = $1 AND ($2::text IS NULL OR name = $2::text)`,
    values: [streamId, name ?? null],
  });
}
