import { createHash } from 'node:crypto';
import { ErrorCodes, ValidationError } from '../../core/errors.js';

/** The longest schema name accepted: its derived names (channel, lock keys) stay within 63 bytes. */
export const MAX_SCHEMA_NAME_LENGTH = 48;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/** The schema Factum's tables are in when none is given. */
export const DEFAULT_SCHEMA = 'factum';

/**
 * The quoted names of the store's own objects in one PostgreSQL schema. The areas above keep their
 * tables in the same schema and name them themselves, from `quoted`.
 */
export interface SchemaNames {
  /** The schema name as given (validated). */
  readonly schema: string;
  /** `"schema"` */
  readonly quoted: string;
  /** `"schema".factum_events` */
  readonly events: string;
  /** `"schema".factum_snapshots` */
  readonly snapshots: string;
  /** `"schema".factum_migrations` */
  readonly migrations: string;
  /** The LISTEN/NOTIFY channel that announces appends to this schema (unquoted). */
  readonly channel: string;
  /**
   * Prefix for the names of this schema's prepared statements: unique per schema and short, since
   * PostgreSQL keeps only the first 63 bytes of a statement name.
   */
  readonly statementPrefix: string;
}

/**
 * Validates a schema name and derives every identifier from it. Only lower-case letters, digits and
 * underscores are accepted (no quoting surprises, no case folding), and the result is still quoted.
 */
export function schemaNames(schema: unknown): SchemaNames {
  if (
    typeof schema !== 'string' ||
    schema.length === 0 ||
    schema.length > MAX_SCHEMA_NAME_LENGTH ||
    !SCHEMA_NAME.test(schema) ||
    schema.startsWith('pg_')
  ) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'schema',
      `Invalid PostgreSQL schema name: ${JSON.stringify(schema) ?? String(schema)} (use 1-${MAX_SCHEMA_NAME_LENGTH} characters a-z, 0-9 and _, not starting with a digit or pg_)`,
    );
  }
  const quoted = `"${schema}"`;
  return {
    schema,
    quoted,
    events: `${quoted}.factum_events`,
    snapshots: `${quoted}.factum_snapshots`,
    migrations: `${quoted}.factum_migrations`,
    channel: `factum_${schema}`,
    statementPrefix: `factum_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}_`,
  };
}
