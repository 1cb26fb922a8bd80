export type {
  Broker,
  BrokerCapabilities,
  BrokerEventListener,
  BrokerEvents,
  ConsumeOptions,
  Consumer,
  ConsumerLag,
  DeadLetter,
  DeadLetterReason,
  DeliveryContext,
  GroupOptions,
  HandlerRetryOptions,
  MessageHandler,
  PartitionLag,
  PublishOptions,
} from './broker.js';
export { DEFAULT_MAX_DELIVERIES, DEFAULT_PREFETCH } from './broker.js';
export type { InboxConsumeOptions, InboxHandler, InboxRetentionOptions } from './consume.js';
export { consume } from './consume.js';
export type { EventLogSourceOptions } from './event-log-source.js';
export { eventLogSource } from './event-log-source.js';
export { memoryCheckpoints, memoryInbox, memoryLeases } from './memory-storage.js';
export type {
  LeaseRow,
  PostgresHandle,
  PostgresLeaseStore,
  PostgresOutbox,
} from './postgres/index.js';
export { postgresCheckpoints, postgresInbox, postgresLeases, postgresOutbox } from './postgres/index.js';
export type { Relay, RelayEvents, RelayOptions, RelayRetentionOptions, RelayStatus } from './relay.js';
export { startRelay } from './relay.js';
export type { InboxPruneOptions, PruneOptions } from './retention.js';
export {
  DEFAULT_INBOX_KEEP_MS,
  DEFAULT_OUTBOX_RETENTION_MS,
  DEFAULT_PRUNE_BATCH_SIZE,
  DEFAULT_RETENTION_EVERY_MS,
} from './retention.js';
export type { SqliteHandle, SqliteOutbox } from './sqlite/sqlite-storage.js';
export { sqliteCheckpoints, sqliteInbox, sqliteLeases, sqliteOutbox } from './sqlite/sqlite-storage.js';
export type {
  CheckpointStore,
  Inbox,
  LeaseStore,
  OutboxMessage,
  PrunableInbox,
  RelayBatch,
  RelaySource,
} from './storage.js';
