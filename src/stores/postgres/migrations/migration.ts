import type { SchemaNames } from '../schema.js';

/**
 * One numbered migration: its DDL statements, run in order inside the migration transaction.
 * Numbers are reserved per area (0004 snapshots, 0005-0009 projections, 0010-0014 messaging).
 */
export interface PostgresMigration {
  version: number;
  name: string;
  statements: (names: SchemaNames) => string[];
}
