import {
  ensureMigrations,
  MIGRATION_NUMBERS,
  registerMigrations,
  type SqliteMigration,
} from '../../../stores/sqlite/kit.js';

/** The correlation id of an event row, as the correlation index and its queries spell it. */
export const CORRELATION_OF = "json_extract(metadata, '$.correlationId')";

/** 0025: an index on the correlation id of events, for one business flow in log order. */
export const serverMigrations: readonly SqliteMigration[] = [
  {
    version: 25,
    name: 'index-events-by-correlation',
    sql: `CREATE INDEX factum_events_correlation ON factum_events (${CORRELATION_OF}, position) WHERE ${CORRELATION_OF} IS NOT NULL`,
  },
];

registerMigrations({ area: 'server', versions: MIGRATION_NUMBERS.server, migrations: serverMigrations });

export { ensureMigrations };
