import type { SchemaNames } from '../../../stores/postgres/kit.js';

/** A connection inside a transaction (or a read-only one): what every operation here runs on. */
export type { Queryable } from '../../../stores/postgres/kit.js';

/**
 * The quoted names of the projection tables in one store schema (migrations 0005-0006); checkpoints
 * and leases are the follow kit's (`factum_checkpoints`, `factum_leases`).
 */
export interface ProjectionTables {
  readonly schema: SchemaNames;
  readonly projections: string;
  readonly objects: string;
  readonly deadLetters: string;
}

export function projectionTables(names: SchemaNames): ProjectionTables {
  return {
    schema: names,
    projections: `${names.quoted}.factum_projections`,
    objects: `${names.quoted}.factum_projection_objects`,
    deadLetters: `${names.quoted}.factum_projection_dead_letters`,
  };
}
