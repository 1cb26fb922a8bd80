import { PostgresEventStore } from './postgres-store.js';

/** Whether `value` is a PostgreSQL event store (what projections and messaging use its pool and schema from). */
export function isPostgresStore(value: unknown): value is PostgresEventStore {
  return value instanceof PostgresEventStore;
}
