import type { SchemaNames } from '../schema.js';

/**
 * One numbered migration: its DDL statements, run in order inside the migration transaction.
 * Each area owns its numbers (MIGRATION_NUMBERS) and registers its own migrations.
 */
export interface PostgresMigration {
  version: number;
  name: string;
  statements: (names: SchemaNames) => string[];
}
