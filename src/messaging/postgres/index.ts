export type { PostgresHandle } from './handle.js';
export type { PostgresOutbox } from './postgres-outbox.js';
export { postgresOutbox } from './postgres-outbox.js';
export type { PostgresLeaseStore } from './postgres-storage.js';
export { postgresCheckpoints, postgresInbox, postgresLeases } from './postgres-storage.js';
export type { LeaseRow } from './sql/read-lease.js';
