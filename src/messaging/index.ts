export type { FollowStorage, LeaseOptions, LeaseRecord, LeaseStrategy } from '../follow/index.js';
export type {
  Broker,
  BrokerCapabilities,
  BrokerDeadLetter,
  BrokerEventListener,
  BrokerEvents,
  ConsumeOptions,
  Consumer,
  ConsumerLag,
  DeadLetterReason,
  DeliveryContext,
  GroupOptions,
  HandlerRetryOptions,
  MessageHandler,
  PartitionLag,
  PublishOptions,
} from './broker.js';
export {
  DEAD_LETTER_REASONS,
  DEFAULT_MAX_DELIVERIES,
  DEFAULT_PREFETCH,
  isDeadLetterReason,
} from './broker.js';
export type { InboxConsumeOptions, InboxHandler, InboxRetentionOptions } from './consume.js';
export { consume } from './consume.js';
export type { EventLogSourceOptions } from './event-log-source.js';
export { eventLogSource, relayCheckpoint } from './event-log-source.js';
export { memoryInbox } from './memory-storage.js';
export type { PostgresHandle, PostgresOutbox } from './postgres/index.js';
export { postgresInbox, postgresOutbox } from './postgres/index.js';
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
export { sqliteInbox, sqliteOutbox } from './sqlite/sqlite-storage.js';
export type { SqliteBrokerOptions, SqliteBrokerRetentionOptions } from './sqlite-broker/index.js';
export { createSqliteBroker, SqliteBroker } from './sqlite-broker/index.js';
export type { Inbox, OutboxMessage, PrunableInbox, RelayPage, RelaySource } from './storage.js';
export { relayLeaseName } from './storage.js';
