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
} from '../brokers/broker.js';
export { DEFAULT_MAX_DELIVERIES, DEFAULT_PREFETCH } from '../brokers/broker.js';
export type { InboxConsumeOptions, InboxHandler } from './consume.js';
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
export type { Relay, RelayEvents, RelayOptions, RelayStatus } from './relay.js';
export { startRelay } from './relay.js';
export type { SqliteHandle, SqliteOutbox } from './sqlite/sqlite-storage.js';
export { sqliteCheckpoints, sqliteInbox, sqliteLeases, sqliteOutbox } from './sqlite/sqlite-storage.js';
export type {
  CheckpointStore,
  Inbox,
  LeaseStore,
  OutboxMessage,
  RelayBatch,
  RelaySource,
} from './storage.js';
