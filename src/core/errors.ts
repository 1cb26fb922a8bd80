/**
 * One error catalog for all of Factum. Every error has a stable `code` (never reused once retired),
 * a `retriable` flag and an optional `cause`. Match errors with `isFactumError(err, code)` rather than
 * `instanceof`, so two copies of the package still agree.
 */

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
  BROKER_UNAVAILABLE: 'FACTUM_BROKER_UNAVAILABLE',
  BROKER_CLOSED: 'FACTUM_BROKER_CLOSED',
  PUBLISH_NOT_CONFIRMED: 'FACTUM_PUBLISH_NOT_CONFIRMED',
  INVALID_MESSAGE: 'FACTUM_INVALID_MESSAGE',
  LOCK_HELD: 'FACTUM_LOCK_HELD',
  GROUP_ACTIVE: 'FACTUM_GROUP_ACTIVE',
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
    description: 'The stream id is empty, too long or not a string.',
  },
  FACTUM_INVALID_EVENT: {
    retriable: false,
    description: 'An event is malformed: missing type, data or metadata that is not JSON, or a bad id.',
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
    description: 'openStore() was given a URL whose scheme Factum does not know.',
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
    description: 'A retried operation kept failing; the message names the attempts and the time spent.',
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
  FACTUM_GROUP_ACTIVE: {
    retriable: true,
    description:
      'The consumer group still has running members; stop them before resetting its offsets, then retry.',
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
  readonly url: string;

  constructor(url: string) {
    super(
      ErrorCodes.UNSUPPORTED_STORE_URL,
      `Unsupported store URL: ${url} (expected memory:, sqlite:<path>, sqlite::memory: or postgres://…)`,
    );
    this.url = url;
  }
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

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
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
