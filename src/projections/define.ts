import type { StoredEvent } from '../core/envelope.js';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import { assertField, assertName } from './names.js';
import type { CollectionOptions, HandlerRetryOptions, Projection, ProjectionDefinition } from './types.js';

const DEFAULT_RETRY: Required<HandlerRetryOptions> = {
  retries: 3,
  initialDelayMs: 100,
  maxDelayMs: 2_000,
  factor: 2,
  jitter: 0.2,
};

/**
 * Declares a projection: which events it handles, how it applies one to the read model, which
 * document collections (with indexes) and raw tables it owns, and optionally an SLA, a retry policy
 * and its ordering key. Validates everything up front; the result is frozen.
 *
 * ```ts
 * const orderSummary = defineProjection({
 *   name: 'order_summary',
 *   handles: ['OrderPlaced', 'OrderShipped'],
 *   documents: { order_summaries: { indexes: ['status'] } },
 *   async handle(event, tx) { … },
 * });
 * ```
 */
export function defineProjection<E extends StoredEvent = StoredEvent>(
  definition: ProjectionDefinition<E>,
): Projection {
  if (typeof definition !== 'object' || definition === null) {
    throw invalid('definition', 'A projection definition must be an object');
  }
  const d = definition;
  assertName('projection', d.name, 'name');
  const name = d.name;
  if (!Array.isArray(d.handles) || d.handles.length === 0) {
    throw invalid('handles', `Projection ${name}: handles must list at least one event type`);
  }
  for (const type of d.handles) {
    if (typeof type !== 'string' || type.length === 0) {
      throw invalid('handles', `Projection ${name}: every entry of handles must be a non-empty event type`);
    }
  }
  if (typeof d.handle !== 'function')
    throw invalid('handle', `Projection ${name}: handle must be a function`);
  if (d.setup !== undefined && typeof d.setup !== 'function') {
    throw invalid('setup', `Projection ${name}: setup must be a function`);
  }

  const documents: Record<string, CollectionOptions> = {};
  for (const [collection, options] of Object.entries(d.documents ?? {})) {
    assertName('collection', collection, `documents.${collection}`);
    const indexes = options?.indexes ?? [];
    if (!Array.isArray(indexes)) throw invalid(`documents.${collection}.indexes`, 'indexes must be an array');
    for (const index of indexes) {
      const fields = typeof index === 'string' ? [index] : index;
      if (!Array.isArray(fields) || fields.length === 0) {
        throw invalid(
          `documents.${collection}.indexes`,
          'an index is a field or a non-empty array of fields',
        );
      }
      for (const field of fields) assertField(field, `documents.${collection}.indexes`);
    }
    documents[collection] = Object.freeze({
      indexes: Object.freeze(indexes.map((i) => (typeof i === 'string' ? i : Object.freeze([...i])))),
    });
  }
  const tables = [...(d.tables ?? [])];
  for (const table of tables) assertName('table', table, 'tables');
  const owned = [...Object.keys(documents), ...tables];
  const twice = owned.find((n, i) => owned.indexOf(n) !== i);
  if (twice !== undefined) throw invalid('tables', `Projection ${name}: '${twice}' is declared twice`);

  let sla: { maxLagMs: number } | undefined;
  if (d.sla !== undefined) {
    const maxLagMs = d.sla?.maxLagMs;
    if (typeof maxLagMs !== 'number' || !Number.isFinite(maxLagMs) || maxLagMs <= 0) {
      throw invalid('sla.maxLagMs', `Projection ${name}: sla.maxLagMs must be a positive number of ms`);
    }
    sla = Object.freeze({ maxLagMs });
  }

  const retry = { ...DEFAULT_RETRY, ...(d.retry ?? {}) };
  for (const [key, value] of Object.entries(retry)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw invalid(`retry.${key}`, `Projection ${name}: retry.${key} must be a non-negative number`);
    }
  }
  const batchSize = d.batchSize ?? 2_000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw invalid('batchSize', `Projection ${name}: batchSize must be an integer from 1 to 10,000`);
  }
  const timeoutMs = d.timeoutMs ?? 30_000;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw invalid('timeoutMs', `Projection ${name}: timeoutMs must be a positive number of ms`);
  }
  const version = d.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw invalid('version', `Projection ${name}: version must be a positive integer`);
  }

  const key = d.orderingKey === undefined ? 'stream' : d.orderingKey;
  let keyOf: (event: StoredEvent) => string | null;
  if (key === 'stream') keyOf = (event) => event.streamId;
  else if (key === null) keyOf = () => null;
  else if (typeof key === 'function') {
    keyOf = (event) => {
      const k = (key as (e: StoredEvent) => string)(event);
      return typeof k === 'string' ? k : String(k);
    };
  } else {
    throw invalid('orderingKey', `Projection ${name}: orderingKey must be 'stream', a function or null`);
  }

  const handle = d.handle as Projection['handle'];
  return Object.freeze({
    name,
    handles: Object.freeze([...d.handles]),
    handle: (event: StoredEvent, tx: Parameters<Projection['handle']>[1]) => handle.call(d, event, tx),
    documents: Object.freeze(documents),
    tables: Object.freeze(tables),
    setup:
      d.setup === undefined ? undefined : (tx: Parameters<Projection['handle']>[1]) => d.setup?.call(d, tx),
    sla,
    keyOf,
    retry: Object.freeze(retry),
    batchSize,
    timeoutMs,
    version,
  });
}

function invalid(field: string, message: string): ValidationError {
  return new ValidationError(ErrorCodes.INVALID_ARGUMENT, field, message);
}
