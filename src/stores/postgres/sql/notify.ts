import type { Pool } from 'pg';

/**
 * Announces appends to every process LISTENing on the schema's channel. Sent after the append
 * committed, as its own tiny transaction: a NOTIFY inside the append would take PostgreSQL's global
 * notify lock for the commit, serialising all appending transactions (see docs/postgres.md).
 */
export async function notifyAppended(pool: Pool, channel: string, payload: string): Promise<void> {
  await pool.query({ name: 'factum_notify', text: 'SELECT pg_notify($1, $2)', values: [channel, payload] });
}
