import type Database from 'better-sqlite3';
import type { NewSnapshot, Snapshot, SnapshotStore } from '../../core/snapshot.js';
import { assertSnapshotName, prepareSnapshot } from '../../core/snapshot.js';
import { assertStreamId } from '../../core/validation.js';
import { prepareDeleteSnapshot, prepareDeleteStreamSnapshots } from './sql/delete-snapshots.js';
import { prepareLoadSnapshot } from './sql/load-snapshot.js';
import { prepareSaveSnapshot } from './sql/save-snapshot.js';

/** Snapshots in the factum_snapshots table of the store's database file. */
export class SqliteSnapshotStore implements SnapshotStore {
  readonly #load;
  readonly #save;
  readonly #deleteOne;
  readonly #deleteStream;
  readonly #guard: <T>(operation: string, run: () => T) => T;

  constructor(db: Database.Database, guard: <T>(operation: string, run: () => T) => T) {
    this.#load = prepareLoadSnapshot(db);
    this.#save = prepareSaveSnapshot(db);
    this.#deleteOne = prepareDeleteSnapshot(db);
    this.#deleteStream = prepareDeleteStreamSnapshots(db);
    this.#guard = guard;
  }

  async load(streamId: string, name: string): Promise<Snapshot | undefined> {
    assertStreamId(streamId);
    assertSnapshotName(name);
    const row = this.#guard(`load the snapshot ${name} of ${streamId}`, () => this.#load.get(streamId, name));
    if (row === undefined) return undefined;
    const [version, schemaVersion, state, takenAt] = row;
    return {
      streamId,
      name,
      version,
      schemaVersion,
      state: JSON.parse(state) as unknown,
      takenAt: new Date(takenAt),
    };
  }

  async save(snapshot: NewSnapshot): Promise<void> {
    const s = prepareSnapshot(snapshot);
    this.#guard(`save the snapshot ${s.name} of ${s.streamId}`, () =>
      this.#save.run(s.streamId, s.name, s.version, s.schemaVersion, s.state, s.takenAt),
    );
  }

  async delete(streamId: string, name?: string): Promise<void> {
    assertStreamId(streamId);
    if (name === undefined) {
      this.#guard(`delete the snapshots of ${streamId}`, () => this.#deleteStream.run(streamId));
      return;
    }
    assertSnapshotName(name);
    this.#guard(`delete the snapshot ${name} of ${streamId}`, () => this.#deleteOne.run(streamId, name));
  }
}
