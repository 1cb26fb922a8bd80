import {
  MIGRATION_NUMBERS,
  type PostgresMigration,
  registerMigrations,
} from '../../../stores/postgres/kit.js';

/** The correlation id of an event row, as the correlation index and its queries spell it. */
export const CORRELATION_OF = "(metadata->>'correlationId')";

/**
 * 0025: an index on the correlation id of events, for one business flow in log order. On a large
 * log, create it first with CREATE INDEX CONCURRENTLY (same name and definition) to avoid blocking
 * appends while it builds; the migration then finds it and does nothing.
 */
export const serverMigrations: readonly PostgresMigration[] = [
  {
    version: 25,
    name: 'index-events-by-correlation',
    statements: (s) => [
      `CREATE INDEX IF NOT EXISTS factum_events_correlation ON ${s.events} (${CORRELATION_OF}, position) WHERE ${CORRELATION_OF} IS NOT NULL`,
    ],
  },
];

registerMigrations({ area: 'server', versions: MIGRATION_NUMBERS.server, migrations: serverMigrations });
