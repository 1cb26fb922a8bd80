import type { StoredEvent } from '../../core/envelope.js';
import { ErrorCodes, NotSupportedError, ValidationError } from '../../core/errors.js';
import type { EventStore } from '../../core/store.js';
import {
  type MemoryFollowShared,
  type MemoryFollowState,
  MemoryFollowTx,
  memoryFollowShared,
  memoryRead,
  memoryTransaction,
} from '../../follow/kit.js';
import { batchInTransaction } from '../batch.js';
import { physicalName } from '../names.js';
import {
  type BatchResult,
  type BatchSteps,
  type DeadLetter,
  type DeadLetterQuery,
  type GenerationLayout,
  type NewDeadLetter,
  type ProjectionPause,
  type ProjectionRecord,
  type ProjectionStorage,
  readLogPage,
  type StorageTx,
  storageOf,
} from '../storage.js';
import type { ProjectionTx } from '../types.js';
import { MemoryProjectionTx, type MemoryTable } from './documents.js';

interface State {
  projections: Map<string, ProjectionRecord>;
  objects: Map<string, { projection: string; kind: 'documents' | 'table' }>;
  tables: Map<string, MemoryTable>;
  views: Map<string, string>;
  deadLetters: Map<number, DeadLetter>;
  nextDeadLetterId: number;
}

/**
 * Projection storage in process memory, for any event store (typically the memory store in tests):
 * the same semantics as the SQLite storage — atomic transactions with rollback, generations, dead
 * letters, leases — except that nothing survives the process, raw SQL is not available and inline
 * projections are not (the memory store has no transaction to join). One storage per store.
 */
export function memoryProjectionStorage(store: EventStore): ProjectionStorage {
  return storageOf(store, () => new MemoryProjectionStorage(store));
}

class MemoryProjectionStorage implements ProjectionStorage {
  readonly dialect = 'memory';
  readonly store: EventStore;
  /** The store's memory follow storage: one gate and one lease and checkpoint state per store. */
  readonly #follow: MemoryFollowShared;
  readonly #state: State = {
    projections: new Map(),
    objects: new Map(),
    tables: new Map(),
    views: new Map(),
    deadLetters: new Map(),
    nextDeadLetterId: 1,
  };
  #head = 0n;

  constructor(store: EventStore) {
    this.store = store;
    this.#follow = memoryFollowShared(store);
  }

  transaction<T>(task: (tx: StorageTx) => Promise<T>, _scope?: string): Promise<T> {
    return memoryTransaction<MemoryStorageTx, T>(
      this.#follow.gate,
      (undo) => new MemoryStorageTx(this.#follow.state, this.#state, undo, this.store),
      task,
    );
  }

  batch<T>(scope: string, steps: BatchSteps<T>): Promise<BatchResult<T>> {
    return batchInTransaction(this, scope, steps);
  }

  read<T>(task: (tx: StorageTx) => Promise<T>): Promise<T> {
    return memoryRead<MemoryStorageTx, T>(
      this.#follow.gate,
      () => new MemoryStorageTx(this.#follow.state, this.#state, undefined, this.store),
      task,
    );
  }

  /** The memory store's positions are dense (1, 2, 3 …): page forward from the last head seen. */
  async head(): Promise<bigint> {
    for (;;) {
      const page = await this.store.readAll({ after: this.#head, limit: 1000 });
      if (page.events.length === 0) return this.#head;
      this.#head = page.last;
    }
  }

  async countEventsAfter(position: bigint): Promise<number> {
    const head = await this.head();
    return head > position ? Number(head - position) : 0;
  }

  now(): number {
    return Date.now();
  }

  addAppendHook(
    _hook: (events: readonly StoredEvent[], tx: StorageTx) => Promise<void>,
    _scopes: readonly string[],
  ): () => void {
    throw new NotSupportedError('inline projections', 'memory');
  }
}

class MemoryStorageTx extends MemoryFollowTx implements StorageTx {
  readonly #s: State;
  /** Undo steps of the enclosing transaction; undefined for reads (writes are refused). */
  readonly #undo: (() => void)[] | undefined;
  readonly #store: EventStore;

  constructor(follow: MemoryFollowState, state: State, undo: (() => void)[] | undefined, store: EventStore) {
    super(follow, undo);
    this.#s = state;
    this.#undo = undo;
    this.#store = store;
  }

  /** The memory store has no transactions to wait for: its readAll sees every event. */
  async readCommittedLog(after: bigint, limit: number): Promise<{ events: StoredEvent[]; last: bigint }> {
    this.#guard('read the log');
    return readLogPage(this.#store, after, limit);
  }

  #guard = (operation: string): void => this.guard(operation);

  #record = (step: () => void): void => this.record(step);

  #set<K, V>(map: Map<K, V>, key: K, value: V): void {
    const had = map.has(key);
    const before = map.get(key);
    this.#record(() => (had ? map.set(key, before as V) : map.delete(key)));
    map.set(key, value);
  }

  #delete<K, V>(map: Map<K, V>, key: K): void {
    if (!map.has(key)) return;
    const before = map.get(key) as V;
    this.#record(() => map.set(key, before));
    map.delete(key);
  }

  async getProjection(name: string): Promise<ProjectionRecord | undefined> {
    const r = this.#s.projections.get(name);
    return r === undefined ? undefined : { ...r };
  }

  async listProjections(): Promise<ProjectionRecord[]> {
    return [...this.#s.projections.values()]
      .map((r) => ({ ...r }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async putProjection(record: Omit<ProjectionRecord, 'createdAt' | 'updatedAt' | 'paused'>): Promise<void> {
    const now = new Date();
    const known = this.#s.projections.get(record.name);
    this.#set(this.#s.projections, record.name, {
      ...record,
      paused: known?.paused ?? null,
      createdAt: known?.createdAt ?? now,
      updatedAt: now,
    });
  }

  async setPaused(name: string, paused: ProjectionPause | null): Promise<boolean> {
    const known = this.#s.projections.get(name);
    if (known === undefined) return false;
    this.#set(this.#s.projections, name, { ...known, paused, updatedAt: new Date() });
    return true;
  }

  async claimObjects(
    projection: string,
    objects: readonly { name: string; kind: 'documents' | 'table' }[],
  ): Promise<void> {
    for (const o of objects) {
      const existing = this.#s.objects.get(o.name);
      if (existing !== undefined && existing.projection !== projection) {
        throw new ValidationError(
          ErrorCodes.INVALID_ARGUMENT,
          'documents',
          `Projection ${projection} declares '${o.name}', which projection ${existing.projection} already owns`,
        );
      }
      this.#set(this.#s.objects, o.name, { projection, kind: o.kind });
    }
  }

  async ownerOf(name: string): Promise<string | undefined> {
    return this.#s.objects.get(name)?.projection;
  }

  async createGeneration(layout: GenerationLayout): Promise<void> {
    for (const name of Object.keys(layout.documents)) {
      const physical = physicalName(name, layout.generation);
      if (!this.#s.tables.has(physical)) this.#set(this.#s.tables, physical, new Map());
    }
  }

  async dropGeneration(layout: GenerationLayout): Promise<void> {
    for (const name of [...Object.keys(layout.documents), ...layout.tables]) {
      this.#delete(this.#s.tables, physicalName(name, layout.generation));
    }
  }

  async publishGeneration(layout: GenerationLayout): Promise<void> {
    for (const name of Object.keys(layout.documents)) {
      this.#set(this.#s.views, name, physicalName(name, layout.generation));
    }
  }

  projectionTx(layout: GenerationLayout): ProjectionTx {
    return new MemoryProjectionTx(this.#s.tables, layout, this.#record, this.#guard);
  }

  async savepoint<T>(task: () => Promise<T>): Promise<T> {
    const undo = this.#undo;
    if (undo === undefined) return task();
    const mark = undo.length;
    try {
      return await task();
    } catch (error) {
      for (let i = undo.length - 1; i >= mark; i--) undo[i]!();
      undo.length = mark;
      throw error;
    }
  }

  async addDeadLetter(letter: NewDeadLetter): Promise<number> {
    const id = this.#s.nextDeadLetterId;
    this.#s.nextDeadLetterId++;
    const now = new Date();
    this.#set(this.#s.deadLetters, id, { ...letter, id, action: null, createdAt: now, updatedAt: now });
    return id;
  }

  async getDeadLetter(id: number): Promise<DeadLetter | undefined> {
    const d = this.#s.deadLetters.get(id);
    return d === undefined ? undefined : { ...d };
  }

  async listDeadLetters(q: DeadLetterQuery): Promise<DeadLetter[]> {
    const rows = [...this.#s.deadLetters.values()].filter(
      (d) =>
        (q.projection === undefined || d.projection === q.projection) &&
        (q.generation === undefined || d.generation === q.generation) &&
        (q.status === undefined || d.status === q.status) &&
        (q.orderingKey === undefined || d.orderingKey === q.orderingKey) &&
        (q.withAction !== true || d.action !== null) &&
        (q.afterId === undefined || d.id > q.afterId),
    );
    rows.sort((a, b) =>
      a.projection !== b.projection
        ? a.projection < b.projection
          ? -1
          : 1
        : a.generation !== b.generation
          ? a.generation - b.generation
          : a.event.position < b.event.position
            ? -1
            : a.event.position > b.event.position
              ? 1
              : 0,
    );
    return rows.slice(0, q.limit).map((d) => ({ ...d }));
  }

  async updateDeadLetter(
    id: number,
    changes: Partial<Pick<DeadLetter, 'status' | 'error' | 'attempts' | 'action'>>,
  ): Promise<void> {
    const d = this.#s.deadLetters.get(id);
    if (d === undefined) return;
    const defined = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    this.#set(this.#s.deadLetters, id, { ...d, ...defined, updatedAt: new Date() });
  }

  async deleteDeadLetter(id: number): Promise<void> {
    this.#delete(this.#s.deadLetters, id);
  }

  async deleteDeadLetters(projection: string, generation: number): Promise<void> {
    for (const d of [...this.#s.deadLetters.values()]) {
      if (d.projection === projection && d.generation === generation) this.#delete(this.#s.deadLetters, d.id);
    }
  }

  async blockedKeys(projection: string, generation: number): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const d of this.#s.deadLetters.values()) {
      if (d.projection === projection && d.generation === generation && d.orderingKey !== null) {
        keys.add(d.orderingKey);
      }
    }
    return keys;
  }

  async countDeadLetters(projection: string, generation: number): Promise<{ dead: number; parked: number }> {
    let dead = 0;
    let parked = 0;
    for (const d of this.#s.deadLetters.values()) {
      if (d.projection !== projection || d.generation !== generation) continue;
      if (d.status === 'dead') dead++;
      else parked++;
    }
    return { dead, parked };
  }
}
