import type { Pool } from 'pg';
import type { NewSnapshot, Snapshot, SnapshotStore } from '../../core/snapshot.js';
import { assertSnapshotName, prepareSnapshot } from '../../core/snapshot.js';
import { assertStreamId } from '../../core/validation.js';
import { translate } from './errors.js';
import type { SchemaNames } from './schema.js';
import { deleteSnapshots } from './sql/delete-snapshots.js';
import { loadSnapshot } from './sql/load-snapshot.js';
import { saveSnapshot } from './sql/save-snapshot.js';

/** Snapshots in the schema's factum_snapshots table (a cache: deleting rows changes no result). */
export class PostgresSnapshotStore implements SnapshotStore {
  readonly #pool: Pool;
  readonly #names: SchemaNames;
  readonly #assertOpen: (operation: string) => void;

  constructor(pool: Pool, names: SchemaNames, assertOpen: (operation: string) => void) {
    this.#pool = pool;
    this.#names = names;
    this.#assertOpen = assertOpen;
  }

  async load(streamId: string, name: string): Promise<Snapshot | undefined> {
    assertStreamId(streamId);
    assertSnapshotName(name);
    const row = await this.#guard(`load the snapshot ${name} of ${streamId}`, () =>
      loadSnapshot(this.#pool, this.#names, streamId, name),
    );
    if (row === undefined) return undefined;
    const [version, schemaVersion, state, takenAtMs] = row;
    return { streamId, name, version, schemaVersion, state, takenAt: new Date(Math.round(takenAtMs)) };
  }

  async save(snapshot: NewSnapshot): Promise<void> {
    const s = prepareSnapshot(snapshot);
    await this.#guard(`save the snapshot ${s.name} of ${s.streamId}`, () =>
      saveSnapshot(this.#pool, this.#names, s),
    );
  }

  async delete(streamId: string, name?: string): Promise<void> {
    assertStreamId(streamId);
    if (name !== undefined) assertSnapshotName(name);
    const what = name === undefined ? `the snapshots of ${streamId}` : `the snapshot ${name} of ${streamId}`;
    await this.#guard(`delete ${what}`, () => deleteSnapshots(this.#pool, this.#names, streamId, name));
  }

  async #guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    this.#assertOpen(operation);
    try {
      return await run();
    } catch (error) {
      throw translate(error, operation);
    }
  }
}
