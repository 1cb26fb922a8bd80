import type { PostgresMigration } from '../../../stores/postgres/kit.js';

/** A projection an operator paused: who, when and why; NULL while it runs. */
export const migration: PostgresMigration = {
  version: 8,
  name: 'pause-projections',
  statements: (s) => [`ALTER TABLE ${s.quoted}.factum_projections ADD COLUMN paused json`],
};
