/**
 * One error catalog for all of Factum. Every error has a stable `code` (never reused once retired),
 * a `retriable` flag and an optional `cause`. Match errors with `isFactumError(err, code)` rather than
 * `instanceof`, so two copies of the package still agree.
 */

import { formatValue } from './format.js';

export const ErrorCodes = {
  CONCURRENCY: 'FACTUM_CONCURRENCY',
  INVALID_STREAM_ID: 'FACTUM_INVALID_STREAM_ID',
  INVALID_EVENT: 'FACTUM_INVALID_EVENT',
  INVALID_EXPECTED_VERSION: 'FACTUM_INVALID_EXPECTED_VERSION',
  INVALID_ARGUMENT: 'FACTUM_INVALID_ARGUMENT',
  DUPLICATE_EVENT_ID: 'FACTUM_DUPLICATE_EVENT_ID',
  STORE_CLOSED: 'FACTUM_STORE_CLOSED',
  STORE_UNAVAILABLE: 'FACTUM_STORE_UNAVAILABLE',
  STORE_CORRUPT: 'FACTUM_STORE_CORRUPT',
  UNSUPPORTED_STORE_URL: 'FACTUM_UNSUPPORTED_STORE_URL',
  MISSING_DRIVER: 'FACTUM_MISSING_DRIVER',
  SUBSCRIPTION_HANDLER_FAILED: 'FACTUM_SUBSCRIPTION_HANDLER_FAILED',
  RETRIES_EXHAUSTED: 'FACTUM_RETRIES_EXHAUSTED',
  ABORTED: 'FACTUM_ABORTED',
  SCHEMA_VALIDATION: 'FACTUM_SCHEMA_VALIDATION',
  UNKNOWN_EVENT_TYPE: 'FACTUM_UNKNOWN_EVENT_TYPE',
  UPCAST_CHAIN_BROKEN: 'FACTUM_UPCAST_CHAIN_BROKEN',
  UPCAST_FAILED: 'FACTUM_UPCAST_FAILED',
  BROKER_UNAVAILABLE: 'FACTUM_BROKER_UNAVAILABLE',
  BROKER_CLOSED: 'FACTUM_BROKER_CLOSED',
  PUBLISH_NOT_CONFIRMED: 'FACTUM_PUBLISH_NOT_CONFIRMED',
  INVALID_MESSAGE: 'FACTUM_INVALID_MESSAGE',
  LOCK_HELD: 'FACTUM_LOCK_HELD',
  LEASE_LOST: 'FACTUM_LEASE_LOST',
  WAIT_TIMEOUT: 'FACTUM_WAIT_TIMEOUT',
  NESTED_TRANSACTION: 'FACTUM_NESTED_TRANSACTION',
  NOT_SUPPORTED: 'FACTUM_NOT_SUPPORTED',
  PROJECTION_NOT_FOUND: 'FACTUM_PROJECTION_NOT_FOUND',
  INLINE_PROJECTION_FAILED: 'FACTUM_INLINE_PROJECTION_FAILED',
  TRANSACTION_CLOSED: 'FACTUM_TRANSACTION_CLOSED',
  MIGRATION_REQUIRED: 'FACTUM_MIGRATION_REQUIRED',
  GROUP_ACTIVE: 'FACTUM_GROUP_ACTIVE',
  PROJECTION_OUTDATED: 'FACTUM_PROJECTION_OUTDATED',
  INVALID_SAGA_DEFINITION: 'FACTUM_INVALID_SAGA_DEFINITION',
  SAGA_NOT_FOUND: 'FACTUM_SAGA_NOT_FOUND',
  UNAUTHENTICATED: 'FACTUM_UNAUTHENTICATED',
  FORBIDDEN: 'FACTUM_FORBIDDEN',
  NOT_FOUND: 'FACTUM_NOT_FOUND',
  READ_MODEL_UNAVAILABLE: 'FACTUM_READ_MODEL_UNAVAILABLE',
  STALE_BATCH: 'FACTUM_STALE_BATCH',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** What the catalog says about each code: whether retrying the same call can succeed, and what it means. */
export const errorCatalog: Readonly<Record<ErrorCode, { retriable: boolean; description: string }>> = {
  FACTUM_CONCURRENCY: {
    retriable: true,
    description: 'The stream was not at the expected version; reload, decide again and retry.',
  },
  FACTUM_INVALID_STREAM_ID: {
    retriable: false,
    description:
      'The stream id is empty, too long, not a string, or has a character a store cannot keep exactly (NUL, an unpaired UTF-16 surrogate).',
  },
  FACTUM_INVALID_EVENT: {
    retriable: false,
    description:
      'An event is malformed: a missing or unstorable type, data or metadata that is not JSON, or a bad id.',
  },
  FACTUM_INVALID_EXPECTED_VERSION: {
    retriable: false,
    description: "The expected version is not a non-negative integer, 'any', 'no_stream' or 'stream_exists'.",
  },
  FACTUM_INVALID_ARGUMENT: {
    retriable: false,
    description: 'An option passed to a Factum call is out of range or of the wrong type.',
  },
  FACTUM_DUPLICATE_EVENT_ID: {
    retriable: false,
    description: 'An event id is already stored, and not as an exact retry of the same append.',
  },
  FACTUM_STORE_CLOSED: {
    retriable: false,
    description: 'The store was closed; open a new one.',
  },
  FACTUM_STORE_UNAVAILABLE: {
    retriable: true,
    description: 'The database could not be reached or was busy; the call can be retried.',
  },
  FACTUM_STORE_CORRUPT: {
    retriable: false,
    description: 'The stored data breaks an invariant Factum relies on.',
  },
  FACTUM_UNSUPPORTED_STORE_URL: {
    retriable: false,
    description:
      'A store URL has a scheme Factum does not know, a query parameter it does not read, or is of a kind the command cannot use.',
  },
  FACTUM_MISSING_DRIVER: {
    retriable: false,
    description: 'The optional driver package this store needs is not installed.',
  },
  FACTUM_SUBSCRIPTION_HANDLER_FAILED: {
    retriable: false,
    description: 'A subscription handler threw; the subscription stopped at that event.',
  },
  FACTUM_RETRIES_EXHAUSTED: {
    retriable: false,
    description: 'A retried operation kept failing with retriable errors; the last one is the cause.',
  },
  FACTUM_ABORTED: {
    retriable: false,
    description: 'The caller aborted the operation through its AbortSignal.',
  },
  FACTUM_SCHEMA_VALIDATION: {
    retriable: false,
    description: 'Event data does not match its registered JSON Schema; nothing was written.',
  },
  FACTUM_UNKNOWN_EVENT_TYPE: {
    retriable: false,
    description: 'A strict schema registry was asked to append an event type it does not know.',
  },
  FACTUM_UPCAST_CHAIN_BROKEN: {
    retriable: false,
    description:
      'A stored event cannot be brought to the current schema version: an upcaster step is missing.',
  },
  FACTUM_UPCAST_FAILED: {
    retriable: false,
    description: 'An upcaster threw while converting a stored event.',
  },
  FACTUM_BROKER_UNAVAILABLE: {
    retriable: true,
    description:
      'The message broker could not be reached or the connection was lost; the call can be retried.',
  },
  FACTUM_BROKER_CLOSED: {
    retriable: false,
    description: 'The broker adapter was closed; create a new one.',
  },
  FACTUM_PUBLISH_NOT_CONFIRMED: {
    retriable: true,
    description:
      'The broker refused or did not confirm a publish in time; publish again (consumers deduplicate).',
  },
  FACTUM_INVALID_MESSAGE: {
    retriable: false,
    description: 'A received message is not a Factum event envelope, or its event fails its schema.',
  },
  FACTUM_LOCK_HELD: {
    retriable: true,
    description:
      'Another process holds the lock (for example the relay of the same checkpoint); wait and retry.',
  },
  FACTUM_PROJECTION_OUTDATED: {
    retriable: false,
    description:
      'The live read model was built by a newer version of the projection than this instance runs; this instance does not write it.',
  },
  FACTUM_LEASE_LOST: {
    retriable: true,
    description: 'Another instance took over the lease this one held; this instance stopped writing.',
  },
  FACTUM_WAIT_TIMEOUT: {
    retriable: true,
    description: 'A wait (such as waitFor on a projection) did not complete within its timeout.',
  },
  FACTUM_NESTED_TRANSACTION: {
    retriable: false,
    description:
      'An append or transaction was started inside an open projection transaction on the same connection.',
  },
  FACTUM_NOT_SUPPORTED: {
    retriable: false,
    description: 'This store does not support the operation (for example raw SQL on the memory store).',
  },
  FACTUM_PROJECTION_NOT_FOUND: {
    retriable: false,
    description: 'No projection, collection or dead letter has the given name or id.',
  },
  FACTUM_INLINE_PROJECTION_FAILED: {
    retriable: false,
    description: 'An inline projection threw; the append was rolled back and nothing was written.',
  },
  FACTUM_TRANSACTION_CLOSED: {
    retriable: false,
    description:
      'A projection transaction was used after it ended (a handler kept `tx` or ran past its timeout).',
  },
  FACTUM_MIGRATION_REQUIRED: {
    retriable: false,
    description: 'The database schema is behind this version of Factum; apply its migrations first.',
  },
  FACTUM_GROUP_ACTIVE: {
    retriable: true,
    description:
      'The consumer group still has running members; stop them before resetting its offsets, then retry.',
  },
  FACTUM_INVALID_SAGA_DEFINITION: {
    retriable: false,
    description:
      'A saga definition breaks a rule (a step without compensation that is not last nor followed only by retriable steps, a duplicate step, a missing action); the message names the saga and the step.',
  },
  FACTUM_SAGA_NOT_FOUND: {
    retriable: false,
    description: 'No saga instance (or no registered definition) by that name, correlation id or version.',
  },
  FACTUM_UNAUTHENTICATED: {
    retriable: false,
    description: 'The operator API was called without a valid bearer token or session cookie (HTTP 401).',
  },
  FACTUM_FORBIDDEN: {
    retriable: false,
    description:
      "The caller's role does not allow this call, or an unsafe request came from another site (HTTP 403).",
  },
  FACTUM_NOT_FOUND: {
    retriable: false,
    description: 'No stream, event, operation or route by that name (HTTP 404).',
  },
  FACTUM_READ_MODEL_UNAVAILABLE: {
    retriable: true,
    description:
      "A read model's own database (Redis) could not be reached, lost the connection or refused a command; retriable unless it refused the command itself.",
  },
  FACTUM_STALE_BATCH: {
    retriable: false,
    description:
      'A projection batch was refused whole: its read model is already checkpointed at or past the batch (it was applied before), or its generation changed after the batch read it.',
  },
};

export interface FactumErrorOptions {
  cause?: unknown;
  retriable?: boolean;
}

export class FactumError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: FactumErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? errorCatalog[code].retriable;
  }
}

export type ExpectedVersionValue = number | 'any' | 'no_stream' | 'stream_exists';

/** The stream was not at the version the caller expected. Nothing was written. */
export class ConcurrencyError extends FactumError {
  readonly streamId: string;
  readonly expected: ExpectedVersionValue;
  /** The stream's version when the append was attempted (0: the stream does not exist). */
  readonly actual: number;

  constructor(
    streamId: string,
    expected: ExpectedVersionValue,
    actual: number,
    options: FactumErrorOptions = {},
  ) {
    super(
      ErrorCodes.CONCURRENCY,
      `Wrong expected version: ${String(expected)} (stream: ${streamId}, actual version: ${actual})`,
      options,
    );
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }
}

/** Bad input: the message names the offending field and value. */
export class ValidationError extends FactumError {
  readonly field: string;

  constructor(
    code:
      | typeof ErrorCodes.INVALID_STREAM_ID
      | typeof ErrorCodes.INVALID_EVENT
      | typeof ErrorCodes.INVALID_EXPECTED_VERSION
      | typeof ErrorCodes.INVALID_ARGUMENT,
    field: string,
    message: string,
    options: FactumErrorOptions = {},
  ) {
    super(code, message, options);
    this.field = field;
  }
}

export class DuplicateEventIdError extends FactumError {
  readonly streamId: string;
  readonly eventId: string;

  constructor(streamId: string, eventId: string) {
    super(
      ErrorCodes.DUPLICATE_EVENT_ID,
      `Event id ${eventId} is already stored and this append (stream: ${streamId}) is not an exact retry of the append that stored it`,
    );
    this.streamId = streamId;
    this.eventId = eventId;
  }
}

export class StoreClosedError extends FactumError {
  constructor(operation: string) {
    super(ErrorCodes.STORE_CLOSED, `Cannot ${operation}: the store is closed`);
  }
}

export class StoreUnavailableError extends FactumError {
  constructor(message: string, options: FactumErrorOptions = {}) {
    super(ErrorCodes.STORE_UNAVAILABLE, message, options);
  }
}

export class StoreCorruptError extends FactumError {
  constructor(message: string, options: FactumErrorOptions = {}) {
    super(ErrorCodes.STORE_CORRUPT, message, options);
  }
}

export class UnsupportedStoreUrlError extends FactumError {
  /** The URL as given, with any password replaced by `***`. */
  readonly url: string;

  /** `reason` says what is wrong or what was expected (default: the URL kinds openStore() knows). */
  constructor(url: string, reason = 'expected memory:, sqlite:<path>, sqlite::memory: or postgres://…') {
    const shown = withoutPassword(url);
    super(ErrorCodes.UNSUPPORTED_STORE_URL, `Cannot open store: unsupported store URL ${shown} (${reason})`);
    this.url = shown;
  }
}

/** `url` with the password of its user part and of a `password=` parameter replaced by `***`. */
function withoutPassword(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*:)[^@/?#]*@/i, '$1***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}

export class MissingDriverError extends FactumError {
  readonly driver: string;

  constructor(driver: string, cause?: unknown) {
    super(ErrorCodes.MISSING_DRIVER, `This store needs the '${driver}' package: npm install ${driver}`, {
      cause,
    });
    this.driver = driver;
  }
}

export class SubscriptionHandlerError extends FactumError {
  readonly eventId: string;
  readonly position: bigint;

  constructor(eventId: string, position: bigint, cause: unknown) {
    super(
      ErrorCodes.SUBSCRIPTION_HANDLER_FAILED,
      `Subscription handler failed on event ${eventId} at position ${position}: ${describe(cause)}`,
      { cause },
    );
    this.eventId = eventId;
    this.position = position;
  }
}

/** A retried operation failed on every attempt; `cause` is the last error. */
export class RetriesExhaustedError extends FactumError {
  readonly attempts: number;
  readonly elapsedMs: number;

  constructor(attempts: number, elapsedMs: number, cause: unknown) {
    super(
      ErrorCodes.RETRIES_EXHAUSTED,
      `Gave up after ${attempts} attempts in ${Math.round(elapsedMs)} ms: ${describe(cause)}`,
      { cause },
    );
    this.attempts = attempts;
    this.elapsedMs = elapsedMs;
  }
}

/** The database is not at the migration this version of Factum needs. */
export class MigrationRequiredError extends FactumError {
  readonly current: number;
  readonly required: number;

  constructor(where: string, current: number, required: number, hint: string) {
    super(
      ErrorCodes.MIGRATION_REQUIRED,
      `${where} is at migration ${current}, this version of Factum needs ${required}: ${hint}`,
    );
    this.current = current;
    this.required = required;
  }
}

export class AbortedError extends FactumError {
  constructor(operation: string, reason?: unknown) {
    super(
      ErrorCodes.ABORTED,
      `${operation} was aborted${reason === undefined ? '' : `: ${describe(reason)}`}`,
      reason === undefined ? {} : { cause: reason },
    );
  }
}

/** One schema violation: which event of the append, at which JSON path, and what is wrong. */
export interface SchemaViolation {
  /** Index of the event in the append. */
  index: number;
  type: string;
  schemaVersion: number;
  /** JSON Pointer into the event's data ('' for the data itself), e.g. '/items/0/qty'. */
  path: string;
  message: string;
}

/** Event data failed its registered schema. Lists every violation of every event; nothing was written. */
export class SchemaValidationError extends FactumError {
  readonly streamId: string;
  readonly violations: readonly SchemaViolation[];

  constructor(streamId: string, violations: readonly SchemaViolation[]) {
    const lines = violations.map(
      (v) =>
        `events[${v.index}] ${v.type} v${v.schemaVersion} ${v.path === '' ? '(data)' : v.path}: ${v.message}`,
    );
    super(
      ErrorCodes.SCHEMA_VALIDATION,
      `Append to ${streamId} rejected: ${violations.length} schema violation${violations.length === 1 ? '' : 's'}\n  ${lines.join('\n  ')}`,
    );
    this.streamId = streamId;
    this.violations = violations;
  }
}

export class UnknownEventTypeError extends FactumError {
  readonly streamId: string;
  readonly type: string;

  constructor(streamId: string, type: string) {
    super(
      ErrorCodes.UNKNOWN_EVENT_TYPE,
      `Append to ${streamId} rejected: event type ${type} is not registered and the schema registry is strict`,
    );
    this.streamId = streamId;
    this.type = type;
  }
}

/** A stored event's schema version has no upcaster step towards the current version. */
export class UpcastChainBrokenError extends FactumError {
  readonly type: string;
  readonly eventId: string;
  /** The version the event was stored with. */
  readonly storedVersion: number;
  /** The version for which no step exists. */
  readonly missingFrom: number;
  /** The version the registry reads events as. */
  readonly targetVersion: number;

  constructor(
    type: string,
    eventId: string,
    storedVersion: number,
    missingFrom: number,
    targetVersion: number,
  ) {
    super(
      ErrorCodes.UPCAST_CHAIN_BROKEN,
      `Cannot upcast ${type} (event ${eventId}) from schema v${storedVersion} to v${targetVersion}: no upcaster registered from v${missingFrom}`,
    );
    this.type = type;
    this.eventId = eventId;
    this.storedVersion = storedVersion;
    this.missingFrom = missingFrom;
    this.targetVersion = targetVersion;
  }
}

export class UpcastFailedError extends FactumError {
  readonly type: string;
  readonly eventId: string;
  readonly fromVersion: number;
  readonly toVersion: number;

  constructor(type: string, eventId: string, fromVersion: number, toVersion: number, cause: unknown) {
    super(
      ErrorCodes.UPCAST_FAILED,
      `Upcaster ${type} v${fromVersion} → v${toVersion} failed on event ${eventId}: ${describe(cause)}`,
      { cause },
    );
    this.type = type;
    this.eventId = eventId;
    this.fromVersion = fromVersion;
    this.toVersion = toVersion;
  }
}

/** The broker could not be reached, or the connection dropped during the call. */
export class BrokerUnavailableError extends FactumError {
  constructor(message: string, options: FactumErrorOptions = {}) {
    super(ErrorCodes.BROKER_UNAVAILABLE, message, options);
  }
}

export class BrokerClosedError extends FactumError {
  constructor(operation: string) {
    super(ErrorCodes.BROKER_CLOSED, `Cannot ${operation}: the broker adapter is closed`);
  }
}

/** The broker nacked a publish or did not confirm it; nothing says whether it was stored. */
export class PublishNotConfirmedError extends FactumError {
  readonly eventId: string | undefined;

  constructor(message: string, eventId?: string, options: FactumErrorOptions = {}) {
    super(ErrorCodes.PUBLISH_NOT_CONFIRMED, message, options);
    this.eventId = eventId;
  }
}

/** A received message that is not a Factum envelope, or whose event fails its schema: it is dead-lettered at once. */
export class InvalidMessageError extends FactumError {
  readonly reason: string;

  constructor(reason: string, options: FactumErrorOptions = {}) {
    super(ErrorCodes.INVALID_MESSAGE, `Invalid message: ${reason}`, options);
    this.reason = reason;
  }
}

/** A named lock (relay checkpoint, outbox) is held by another owner. */
export class LockHeldError extends FactumError {
  readonly lock: string;
  readonly holder: string;

  constructor(lock: string, holder: string) {
    super(ErrorCodes.LOCK_HELD, `Lock ${lock} is held by ${holder}`);
    this.lock = lock;
    this.holder = holder;
  }
}

/** A consumer group operation (such as an offset reset) needs the group to have no running members. */
export class GroupActiveError extends FactumError {
  readonly group: string;

  constructor(group: string, operation: string, state: string) {
    super(
      ErrorCodes.GROUP_ACTIVE,
      `Cannot ${operation}: consumer group ${group} has running members (state ${state}); stop its consumers first`,
    );
    this.group = group;
  }
}

/** A cause as a message shows it: an error's message, a string as it is, anything else as given. */
function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : formatValue(err);
}

/** This instance's lease was taken over (fencing): whatever it was about to commit was rolled back. */
export class LeaseLostError extends FactumError {
  readonly lease: string;
  readonly owner: string;

  constructor(lease: string, owner: string) {
    super(ErrorCodes.LEASE_LOST, `Lease ${lease} is no longer held by ${owner}; another instance took over`);
    this.lease = lease;
    this.owner = owner;
  }
}

export class ProjectionOutdatedError extends FactumError {
  readonly projection: string;
  readonly version: number;
  readonly liveVersion: number;

  constructor(projection: string, version: number, liveVersion: number) {
    super(
      ErrorCodes.PROJECTION_OUTDATED,
      `Projection ${projection}: this instance runs version ${version}, the live read model was built by version ${liveVersion}; it leaves the projection to instances running the newer version`,
    );
    this.projection = projection;
    this.version = version;
    this.liveVersion = liveVersion;
  }
}

export class WaitTimeoutError extends FactumError {
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number) {
    super(ErrorCodes.WAIT_TIMEOUT, `Timed out after ${timeoutMs} ms waiting for ${what}`);
    this.timeoutMs = timeoutMs;
  }
}

export class NestedTransactionError extends FactumError {
  constructor(operation: string) {
    super(
      ErrorCodes.NESTED_TRANSACTION,
      `Cannot ${operation} inside an open projection transaction on the same connection: it would wait for itself`,
    );
  }
}

export class NotSupportedError extends FactumError {
  constructor(operation: string, store: string) {
    super(ErrorCodes.NOT_SUPPORTED, `The ${store} store does not support ${operation}`);
  }
}

export class ProjectionNotFoundError extends FactumError {
  readonly what: string;

  constructor(what: string) {
    super(ErrorCodes.PROJECTION_NOT_FOUND, `Not found: ${what}`);
    this.what = what;
  }
}

/** A projection's `tx` was used after its transaction ended: nothing was written. */
export class TransactionClosedError extends FactumError {
  constructor(operation: string) {
    super(
      ErrorCodes.TRANSACTION_CLOSED,
      `Cannot ${operation}: the projection transaction has ended (keep no reference to tx after the handler returns)`,
    );
  }
}

/** An inline projection threw while handling an event of an append: the append rolled back. */
export class InlineProjectionError extends FactumError {
  readonly projection: string;
  readonly eventId: string;
  readonly streamId: string;

  constructor(projection: string, event: { id: string; type: string; streamId: string }, cause: unknown) {
    super(
      ErrorCodes.INLINE_PROJECTION_FAILED,
      `Inline projection ${projection} failed on ${event.type} ${event.id} (stream: ${event.streamId}): ${describe(cause)}; the append was rolled back`,
      { cause },
    );
    this.projection = projection;
    this.eventId = event.id;
    this.streamId = event.streamId;
  }
}

/** A saga definition breaks a rule; `step` names the offending step when there is one. Nothing was registered. */
export class InvalidSagaDefinitionError extends FactumError {
  readonly saga: string;
  readonly step: string | undefined;

  constructor(saga: string, step: string | undefined, reason: string) {
    super(
      ErrorCodes.INVALID_SAGA_DEFINITION,
      `Invalid saga definition ${saga}${step === undefined ? '' : `, step ${step}`}: ${reason}`,
    );
    this.saga = saga;
    this.step = step;
  }
}

/** No saga instance or definition matches. */
export class SagaNotFoundError extends FactumError {
  readonly saga: string;
  readonly correlationId: string | undefined;

  constructor(saga: string, correlationId: string | undefined, what = 'instance') {
    super(
      ErrorCodes.SAGA_NOT_FOUND,
      correlationId === undefined
        ? `Saga not found: ${what} ${saga}`
        : `Saga not found: ${saga} for correlation ${formatValue(correlationId)}`,
    );
    this.saga = saga;
    this.correlationId = correlationId;
  }
}

/** True when `err` is a Factum error, optionally of one code. Works across package copies (matches on code). */
export function isFactumError(err: unknown, code?: ErrorCode): err is FactumError {
  if (typeof err !== 'object' || err === null) return false;
  const candidate = (err as { code?: unknown }).code;
  if (typeof candidate !== 'string' || !candidate.startsWith('FACTUM_')) return false;
  return code === undefined || candidate === code;
}

export function isConcurrencyError(err: unknown): err is ConcurrencyError {
  return isFactumError(err, ErrorCodes.CONCURRENCY);
}

/** Whether retrying the same call may succeed. Unknown errors are not retriable. */
export function isRetriable(err: unknown): boolean {
  return isFactumError(err) && (err as FactumError).retriable === true;
}

/** The operator API was called without a valid token or session (HTTP 401). */
export class UnauthenticatedError extends FactumError {
  constructor(message: string) {
    super(ErrorCodes.UNAUTHENTICATED, message);
  }
}

/** The caller's role is too low for the call, or the request came from another site (HTTP 403). */
export class ForbiddenError extends FactumError {
  constructor(message: string) {
    super(ErrorCodes.FORBIDDEN, message);
  }
}

/** Nothing by that name: a stream, an event, an operation, a route (HTTP 404). */
export class NotFoundError extends FactumError {
  readonly what: string;

  constructor(what: string) {
    super(ErrorCodes.NOT_FOUND, `Not found: ${what}`);
    this.what = what;
  }
}

/** Redis replies that say "not now" rather than "never": the same command can succeed later. */
const TRANSIENT_REPLIES = new Set([
  'LOADING',
  'BUSY',
  'TRYAGAIN',
  'MASTERDOWN',
  'CLUSTERDOWN',
  'READONLY',
  'OOM',
]);

/**
 * A Redis command of a read model failed: the connection was lost or refused (retriable), the client
 * was closed (not retriable), or Redis answered with an error (retriable only for a transient one,
 * such as LOADING after a restart).
 * A storage failure, never a handler's: the batch fails whole and the runner starts again.
 */
export class RedisCommandError extends FactumError {
  readonly command: string;

  constructor(command: string, cause: unknown) {
    const message = describe(cause);
    // An error reply starts with its code in capitals (ERR, WRONGTYPE, LOADING…); a socket error does not.
    const reply = /^([A-Z]+)(?: |$)/.exec(message)?.[1];
    // A client its owner closed stays closed (node-redis ClientClosedError).
    const closed = cause instanceof Error && cause.constructor.name === 'ClientClosedError';
    super(ErrorCodes.READ_MODEL_UNAVAILABLE, `Redis ${command} failed: ${message}`, {
      cause,
      retriable: !closed && (reply === undefined || TRANSIENT_REPLIES.has(reply)),
    });
    this.command = command;
  }
}

/**
 * A read-model batch refused whole, nothing written: its checkpoint was at or past the batch's own
 * position (it was applied already, and is not again), or, with no positions, the generation it
 * wrote (`key`: its epoch or meta) changed after the batch read it.
 */
export class StaleBatchError extends FactumError {
  readonly key: string;
  readonly stored: bigint | undefined;
  readonly position: bigint | undefined;

  constructor(key: string, stored?: bigint, position?: bigint) {
    super(
      ErrorCodes.STALE_BATCH,
      stored === undefined || position === undefined
        ? `Batch not applied: ${key} changed after the batch read it (its generation was made again or given new indexes)`
        : `Batch up to position ${position} not applied: checkpoint ${key} is already at ${stored}`,
    );
    this.key = key;
    this.stored = stored;
    this.position = position;
  }
}
