/**
 * Release 0.1 created `factum_projection_leases` here. Projection leases now live in the follower
 * table `factum_leases` (follow migration 0015 moves the rows of databases that have the old table and
 * drops it), so a new database gets nothing from this migration; it keeps its number in the ledger.
 */
export const migration = {
  version: 7,
  name: 'create-projection-leases',
  sql: '',
};
