import type { NewSnapshot, Snapshot, SnapshotStore } from '../../core/snapshot.js';
import { assertSnapshotName, prepareSnapshot } from '../../core/snapshot.js';
import { assertStreamId } from '../../core/validation.js';

interface Row {
  version: number;
  schemaVersion: number;
  /** JSON text: a load returns a fresh copy, and state that is not JSON fails as it would on disk. */
  state: string;
  takenAt: number;
}

/** Snapshots in process memory, one per (stream, decider name), for the memory store. */
export class MemorySnapshotStore implements SnapshotStore {
  readonly #rows = new Map<string, Map<string, Row>>();
  readonly #assertOpen: (operation: string) => void;

  constructor(assertOpen: (operation: string) => void) {
    this.#assertOpen = assertOpen;
  }

  async load(streamId: string, name: string): Promise<Snapshot | undefined> {
    this.#assertOpen('load a snapshot');
    assertStreamId(streamId);
    assertSnapshotName(name);
    const row = this.#rows.get(streamId)?.get(name);
    if (row === undefined) return undefined;
    return {
      streamId,
      name,
      version: row.version,
      schemaVersion: row.schemaVersion,
      state: JSON.parse(row.state) as unknown,
      takenAt: new Date(row.takenAt),
    };
  }

  async save(snapshot: NewSnapshot): Promise<void> {
    this.#assertOpen('save a snapshot');
    const s = prepareSnapshot(snapshot);
    let byName = this.#rows.get(s.streamId);
    if (byName === undefined) {
      byName = new Map();
      this.#rows.set(s.streamId, byName);
    }
    const existing = byName.get(s.name);
    if (existing !== undefined && existing.schemaVersion === s.schemaVersion && existing.version > s.version)
      return;
    byName.set(s.name, {
      version: s.version,
      schemaVersion: s.schemaVersion,
      state: s.state,
      takenAt: s.takenAt,
    });
  }

  async delete(streamId: string, name?: string): Promise<void> {
    this.#assertOpen('delete snapshots');
    assertStreamId(streamId);
    if (name === undefined) {
      this.#rows.delete(streamId);
      return;
    }
    assertSnapshotName(name);
    this.#rows.get(streamId)?.delete(name);
  }
}
