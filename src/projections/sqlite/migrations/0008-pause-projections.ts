/** A projection an operator paused: who, when and why, as JSON; NULL while it runs. */
export const migration = {
  version: 8,
  name: 'pause-projections',
  sql: 'ALTER TABLE factum_projections ADD COLUMN paused TEXT',
};
