export type { PostgresHandle } from './handle.js';
export type { PostgresOutbox } from './postgres-outbox.js';
export { postgresOutbox } from './postgres-outbox.js';
export { postgresInbox } from './postgres-storage.js';
