import type { CustomTypesConfig } from 'pg';
import type { StoredEvent } from '../../../core/envelope.js';
import { eventWithStoredData } from '../../../core/stored-data.js';

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

/**
 * FACTUM_TYPES with json and jsonb left as text: the reads that keep an event's data JSON as stored
 * (data and metadata are json columns, returned as the exact text appended), see
 * toEventWithStoredData.
 */
export const FACTUM_TYPES_JSON_AS_TEXT: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === JSON_OID || oid === JSONB
      ? identity
      : FACTUM_TYPES.getTypeParser(oid, format as never)) as CustomTypesConfig['getTypeParser'],
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

/**
 * As toStoredEvent, for a row read with FACTUM_TYPES_JSON_AS_TEXT: the data kept as its stored JSON
 * text (parsed on first access), the metadata parsed. The relay's reads.
 */
export function toEventWithStoredData(row: readonly unknown[], at = 0): StoredEvent {
  return eventWithStoredData(
    row[at + 1] as string,
    row[at + 5] as string,
    row[at + 2] as string,
    row[at + 4] as string,
    row[at + 3] as number,
    BigInt(row[at] as string),
    row[at + 6] as number,
    new Date(Math.round(row[at + 9] as number)),
    row[at + 7] as string,
    JSON.parse(row[at + 8] as string) as StoredEvent['metadata'],
  );
}
