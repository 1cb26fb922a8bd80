import type pg from 'pg';

/**
 * Creates the raw limit's events table `table` (schema-qualified): the store's columns, constraints
 * and indexes, rows numbered by a bigserial. Returns `table`.
 */
export async function createRawEventsTable(pool: pg.Pool, table: string): Promise<string> {
  await pool.query(`CREATE TABLE ${table} (
    position       bigserial   PRIMARY KEY,
    event_id       uuid        NOT NULL UNIQUE,
    stream_id      text        NOT NULL,
    version        integer     NOT NULL,
    category       text        NOT NULL,
    type           text        NOT NULL,
    schema_version integer     NOT NULL,
    data           json        NOT NULL,
    metadata       json        NOT NULL,
    recorded_at    timestamptz NOT NULL,
    UNIQUE (stream_id, version))`);
  return table;
}

/** One raw event row into `table`: $1 event id, $2 stream id, $3 version, $4 data, $5 metadata. */
export function rawInsertOne(table: string): string {
  return `INSERT INTO ${table} (event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
    VALUES ($1, $2, $3, 'order', 'OrderPlaced', 1, $4, $5, now())`;
}
