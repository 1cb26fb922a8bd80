import type { Pool } from 'pg';
import type { PreparedSnapshot } from '../../../core/snapshot.js';
import type { SchemaNames } from '../schema.js';

/**
 * Upserts the snapshot of (stream, name). An older snapshot (lower version, same schema version)
 * never replaces a newer one, so concurrent command handlers cannot move a snapshot backwards.
 */
export async function saveSnapshot(pool: Pool, names: SchemaNames, s: PreparedSnapshot): Promise<void> {
  await pool.query({
    name: `${names.statementPrefix}save_snapshot`,
    text: `INSERT INTO ${names.snapshots} AS current (stream_id, name, version, schema_version, state, taken_at)
VALUES ($1, $2, $3, $4, $5::json, $6::timestamptz)
ON CONFLICT (stream_id, name) DO UPDATE SET
  version = excluded.version,
  schema_version = excluded.schema_version,
  state = excluded.state,
  taken_at = excluded.taken_at
WHERE excluded.version >= current.version OR excluded.schema_version <> current.schema_version`,
    values: [s.streamId, s.name, s.version, s.schemaVersion, s.state, new Date(s.takenAt).toISOString()],
  });
}
