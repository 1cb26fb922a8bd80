export type { AsyncApiOptions } from './asyncapi.js';
export { toAsyncApi } from './asyncapi.js';
export type {
  CommandHandler,
  CommandHandlerOptions,
  CommandResult,
  HandleCommandOptions,
} from './command-handler.js';
export { commandHandler } from './command-handler.js';
export type {
  Decider,
  DomainEvent,
  SnapshotContext,
  SnapshotEvery,
  SnapshotPolicy,
  SnapshotWhen,
} from './decider.js';
export { decidedEvents, foldEvents } from './decider.js';
export { parseDuration } from './duration.js';
export type { EventMetadata, NewEvent, StoredEvent } from './envelope.js';
export { categoryOf } from './envelope.js';
export type { ErrorCode, ExpectedVersionValue, FactumErrorOptions, SchemaViolation } from './errors.js';
export {
  AbortedError,
  BrokerClosedError,
  BrokerUnavailableError,
  ConcurrencyError,
  DuplicateEventIdError,
  ErrorCodes,
  errorCatalog,
  FactumError,
  GroupActiveError,
  InlineProjectionError,
  InvalidMessageError,
  InvalidSagaDefinitionError,
  isConcurrencyError,
  isFactumError,
  isRetriable,
  LeaseLostError,
  LockHeldError,
  MigrationRequiredError,
  MissingDriverError,
  NestedTransactionError,
  NotSupportedError,
  ProjectionNotFoundError,
  ProjectionOutdatedError,
  PublishNotConfirmedError,
  RedisCommandError,
  RetriesExhaustedError,
  SagaNotFoundError,
  SchemaValidationError,
  StaleBatchError,
  StoreClosedError,
  StoreCorruptError,
  StoreUnavailableError,
  SubscriptionHandlerError,
  TransactionClosedError,
  UnknownEventTypeError,
  UnsupportedStoreUrlError,
  UpcastChainBrokenError,
  UpcastFailedError,
  ValidationError,
  WaitTimeoutError,
} from './errors.js';
export type { ExpectedVersion } from './expected-version.js';
export { matchesExpectedVersion } from './expected-version.js';
export { isUuid, newEventId } from './ids.js';
export type { AuditEntry, LoadedState, LoadStateOptions, SnapshotErrorHandler } from './load-state.js';
export { auditTrail, loadState } from './load-state.js';
export { causedBy } from './metadata.js';
export type { RetryOptions } from './retry.js';
export { backoffDelay, DEFAULT_RETRY, retry, sleep } from './retry.js';
export type { SchemaChange, SchemaChangeKind, SchemaLock } from './schema-compat.js';
export { compareWithLock, lockRegistry, parseSchemaLock } from './schema-compat.js';
export type {
  JsonSchema,
  JsonSchemaSource,
  RegistryDescription,
  SchemaRegistration,
  SchemaRegistryOptions,
  TypeDescription,
  UpcasterStep,
} from './schema-registry.js';
export { createSchemaRegistry, isSchemaRegistry, SchemaRegistry } from './schema-registry.js';
export type { NewSnapshot, PreparedSnapshot, Snapshot, SnapshotCapable, SnapshotStore } from './snapshot.js';
export { prepareSnapshot, snapshotsOf } from './snapshot.js';
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
export { DEFAULT_READ_ALL_LIMIT, MAX_POSITION } from './store.js';
export type {
  ActiveSpan,
  SpanAttributeValue,
  SpanKind,
  SpanRequest,
  TraceContext,
  TracingHook,
} from './tracing.js';
export { MAX_EVENT_TYPE_LENGTH, MAX_STREAM_ID_LENGTH } from './validation.js';
export type { SchemaAwareStore } from './with-schemas.js';
export { withSchemas } from './with-schemas.js';
