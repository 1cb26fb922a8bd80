import type { CustomTypesConfig } from 'pg';
import type { StoredEvent } from '../../../core/envelope.js';

/** The columns every event read selects, in this order (rows are read in array mode for speed). */
export const EVENT_COLUMNS =
  "position, event_id, stream_id, version, category, type, schema_version, data, metadata, date_part('epoch', recorded_at) * 1000";

const INT4 = 23;
const INT8 = 20;
const FLOAT8 = 701;
const BOOL = 16;
const JSON_OID = 114;
const JSONB = 3802;

const identity = (value: string): string => value;
const parseBool = (value: string): boolean => value === 't';

/**
 * The parsers Factum's queries use, whatever the application set globally with pg.types (a common
 * global override turns int8 into a lossy number). int8 stays a string (turned into a bigint here).
 */
export const FACTUM_TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number) => {
    switch (oid) {
      case INT4:
        return Number;
      case FLOAT8:
        return Number;
      case BOOL:
        return parseBool;
      case JSON_OID:
      case JSONB:
        return JSON.parse;
      case INT8:
        return identity;
      default:
        return identity;
    }
  }) as CustomTypesConfig['getTypeParser'],
};

/** Turns the event columns of `row` starting at `at` into a StoredEvent. */
export function toStoredEvent(row: readonly unknown[], at = 0): StoredEvent {
  return {
    id: row[at + 1] as string,
    type: row[at + 5] as string,
    streamId: row[at + 2] as string,
    category: row[at + 4] as string,
    version: row[at + 3] as number,
    position: BigInt(row[at] as string),
    schemaVersion: row[at + 6] as number,
    timestamp: new Date(Math.round(row[at + 9] as number)),
    data: row[at + 7],
    metadata: row[at + 8] as StoredEvent['metadata'],
  };
}
