import type { PoolClient } from 'pg';

/** Starts receiving the schema's append notifications on this (dedicated) connection. */
export async function listen(client: PoolClient, channel: string): Promise<void> {
  // The channel derives from a validated schema name ([a-z0-9_]), and is quoted as an identifier.
  await client.query(`LISTEN "${channel}"`);
}
