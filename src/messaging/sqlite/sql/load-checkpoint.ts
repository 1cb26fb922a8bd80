import type Database from 'better-sqlite3';

/** The saved position of a checkpoint, as a bigint. */
export function prepareLoadCheckpoint(
  db: Database.Database,
): Database.Statement<[string], { position: bigint }> {
  return db
    .prepare<[string], { position: bigint }>('SELECT position FROM factum_checkpoints WHERE name = ?')
    .safeIntegers(true);
}
