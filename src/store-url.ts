// The one reading of a store URL, used by openStore() and by every `factum` command that opens a
// store, so both accept and refuse the same URLs with the same words. Imports no driver.
import { ErrorCodes, UnsupportedStoreUrlError, ValidationError } from './core/errors.js';

/** What a store URL designates, checked: the store's kind and where its data is. */
export type StoreUrl =
  | { kind: 'memory' }
  | { kind: 'sqlite'; filename: string }
  | {
      kind: 'postgres';
      /** The URL without Factum's own `schema` parameter: what the driver connects with. */
      connectionString: string;
      /** The schema holding Factum's tables (`?schema=`, the schema option, else 'factum'). */
      schema: string;
    };

export type StoreKind = StoreUrl['kind'];

export const DEFAULT_POSTGRES_SCHEMA = 'factum';

/**
 * The query parameters a postgres:// URL may carry besides `schema`: those node-postgres (pg 8) reads
 * from a connection string. Anything else would be ignored by the driver, so it is refused instead.
 */
export const POSTGRES_URL_PARAMETERS: readonly string[] = [
  'host',
  'port',
  'user',
  'password',
  'ssl',
  'sslmode',
  'sslcert',
  'sslkey',
  'sslrootcert',
  'sslnegotiation',
  'uselibpqcompat',
  'application_name',
  'fallback_application_name',
  'options',
  'client_encoding',
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'query_timeout',
];

export interface ParseStoreUrlOptions {
  /** PostgreSQL: the schema given apart from the URL; it must agree with a `?schema=` of the URL. */
  schema?: string;
  /** How to name `schema` in an error (default 'the schema option'; the CLI says '--schema'). */
  schemaSource?: string;
  /** The kinds the caller can use (default: all); another kind is refused, naming these. */
  kinds?: readonly StoreKind[];
}

const EXPECTED: Record<StoreKind, string> = {
  memory: 'memory:',
  sqlite: 'sqlite:<path>',
  postgres: 'postgres://…',
};

/**
 * Reads a store URL:
 * - `memory:`;
 * - `sqlite:<path>` (also `sqlite::memory:`), with no query parameters;
 * - `postgres://…` or `postgresql://…`, with the connection parameters node-postgres reads
 *   (`POSTGRES_URL_PARAMETERS`) and Factum's `schema`, which must agree with `options.schema` when both
 *   are given.
 * Throws UnsupportedStoreUrlError for anything else (an unknown scheme or query parameter, a kind
 * outside `options.kinds`) and ValidationError (FACTUM_INVALID_ARGUMENT) when the two schemas differ.
 * The schema's name itself is checked by the PostgreSQL store.
 */
export function parseStoreUrl(url: unknown, options: ParseStoreUrlOptions = {}): StoreUrl {
  const kinds = options.kinds ?? (['memory', 'sqlite', 'postgres'] as const);
  if (typeof url !== 'string') throw new UnsupportedStoreUrlError(String(url), expected(kinds));
  const parsed = readUrl(url, options);
  if (parsed === undefined || !kinds.includes(parsed.kind)) {
    throw new UnsupportedStoreUrlError(url, expected(kinds));
  }
  return parsed;
}

function readUrl(url: string, options: ParseStoreUrlOptions): StoreUrl | undefined {
  if (url === 'memory:') return { kind: 'memory' };
  if (url.startsWith('sqlite:')) {
    const filename = url.slice('sqlite:'.length);
    if (filename.length === 0)
      throw new UnsupportedStoreUrlError(url, 'a SQLite URL needs a path: sqlite:<path>');
    const query = filename.indexOf('?');
    if (query >= 0) {
      const names = [...new Set(new URLSearchParams(filename.slice(query + 1)).keys())];
      throw new UnsupportedStoreUrlError(
        url,
        names.length === 0
          ? 'a SQLite URL takes no query: a ? in its path is refused'
          : `unknown query parameter${names.length === 1 ? '' : 's'} ${names.join(', ')}; a SQLite URL takes none`,
      );
    }
    return { kind: 'sqlite', filename };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return readPostgresUrl(url, options);
  return undefined;
}

function readPostgresUrl(url: string, options: ParseStoreUrlOptions): StoreUrl {
  const start = url.indexOf('?');
  const fragment = url.indexOf('#', Math.max(start, 0));
  const end = fragment < 0 ? url.length : fragment;
  const params = new URLSearchParams(start < 0 ? '' : url.slice(start + 1, end));
  const unknown = [...new Set(params.keys())].filter(
    (name) => name !== 'schema' && !POSTGRES_URL_PARAMETERS.includes(name),
  );
  if (unknown.length > 0) {
    throw new UnsupportedStoreUrlError(
      url,
      `unknown query parameter${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; ` +
        `a postgres:// URL takes schema and what node-postgres reads: ${POSTGRES_URL_PARAMETERS.join(', ')}`,
    );
  }
  const fromUrl = params.getAll('schema');
  if (fromUrl.length > 1) throw new UnsupportedStoreUrlError(url, 'schema is given twice');
  const inUrl = fromUrl[0];
  if (inUrl === '') throw new UnsupportedStoreUrlError(url, 'schema is empty');
  if (inUrl !== undefined && options.schema !== undefined && inUrl !== options.schema) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'schema',
      `Two schemas for one store: the store URL says schema=${inUrl} and ${options.schemaSource ?? 'the schema option'} says ${options.schema}; give one, or the same in both`,
    );
  }
  if (inUrl === undefined) {
    return { kind: 'postgres', connectionString: url, schema: options.schema ?? DEFAULT_POSTGRES_SCHEMA };
  }
  params.delete('schema');
  const rest = params.toString();
  const connectionString = `${url.slice(0, start)}${rest === '' ? '' : `?${rest}`}${url.slice(end)}`;
  return { kind: 'postgres', connectionString, schema: inUrl };
}

function expected(kinds: readonly StoreKind[]): string {
  const names = kinds.flatMap((kind) =>
    kind === 'sqlite' && kinds.includes('memory') ? [EXPECTED.sqlite, 'sqlite::memory:'] : [EXPECTED[kind]],
  );
  return `expected ${names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`}`;
}
