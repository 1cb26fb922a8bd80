import type { Pool } from 'pg';
import type { SchemaNames } from '../schema.js';
import { FACTUM_TYPES } from './event-row.js';

export type SnapshotRow = [version: number, schemaVersion: number, state: unknown, takenAtMs: number];

/** Reads the snapshot of one decider (by name) on one stream. */
export async function loadSnapshot(
  pool: Pool,
  names: SchemaNames,
  streamId: string,
  name: string,
): Promise<SnapshotRow | undefined> {
  const { rows } = await pool.query<SnapshotRow>({
    name: `${names.statementPrefix}load_snapshot`,
    text: `SELECT version, schema_version, state, date_part('epoch', taken_at) * 1000
FROM ${names.snapshots} WHERE stream_id = $1 AND name = $2`,
    values: [streamId, name],
    rowMode: 'array',
    types: FACTUM_TYPES,
  });
  return rows[0];
}
