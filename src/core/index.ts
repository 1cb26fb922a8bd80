export type { EventMetadata, NewEvent, StoredEvent } from './envelope.js';
export { categoryOf } from './envelope.js';
export type { ErrorCode, ExpectedVersionValue, FactumErrorOptions } from './errors.js';
export {
  BrokerClosedError,
  BrokerUnavailableError,
  ConcurrencyError,
  DuplicateEventIdError,
  ErrorCodes,
  errorCatalog,
  FactumError,
  GroupActiveError,
  InvalidMessageError,
  isConcurrencyError,
  isFactumError,
  isRetriable,
  LockHeldError,
  MissingDriverError,
  PublishNotConfirmedError,
  StoreClosedError,
  StoreCorruptError,
  StoreUnavailableError,
  SubscriptionHandlerError,
  UnsupportedStoreUrlError,
  ValidationError,
} from './errors.js';
export type { ExpectedVersion } from './expected-version.js';
export { matchesExpectedVersion } from './expected-version.js';
export { isUuid, newEventId } from './ids.js';
export { causedBy } from './metadata.js';
export type { RetryOptions } from './retry.js';
export { backoffDelay, retry, sleep } from './retry.js';
export type {
  AllRead,
  AppendOptions,
  AppendResult,
  EventHandler,
  EventStore,
  ReadAllOptions,
  ReadStreamOptions,
  StreamRead,
  SubscribeOptions,
  Subscription,
  SubscriptionStatus,
} from './store.js';
export { DEFAULT_READ_ALL_LIMIT } from './store.js';
export { MAX_EVENT_TYPE_LENGTH, MAX_STREAM_ID_LENGTH } from './validation.js';
