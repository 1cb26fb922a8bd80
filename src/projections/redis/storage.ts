import { randomBytes } from 'node:crypto';
import type { StoredEvent } from '../../core/envelope.js';
import {
  NotSupportedError,
  ProjectionNotFoundError,
  RedisCommandError,
  StaleBatchError,
  TransactionClosedError,
} from '../../core/errors.js';
import type { LeaseRecord, SessionLocks } from '../../follow/index.js';
import { type ProjectionsTarget, projectionStorageFor } from '../admin.js';
import {
  type BatchResult,
  type BatchSteps,
  type BatchTx,
  brandStorage,
  type DeadLetter,
  type DeadLetterQuery,
  type GenerationLayout,
  type NewDeadLetter,
  type ProjectionPause,
  type ProjectionRecord,
  type ProjectionStorage,
  type StorageTx,
} from '../storage.js';
import type { ProjectionTx } from '../types.js';
import { applyOps, command, type RedisCommands } from './client.js';
import { type DocumentScope, type GenerationHandle, RedisProjectionTx } from './documents.js';
import {
  checkpointKey,
  docsKey,
  epochKey,
  generationPrefix,
  liveKey,
  metaKey,
  padPosition,
  parseCheckpointName,
  parsePosition,
  projectionBase,
} from './keys.js';
import { Pending } from './pending.js';

export interface RedisProjectionStorageOptions {
  /** A connected client (node-redis `createClient({ url }).connect()`); the caller closes it. */
  client: RedisCommands;
  /**
   * The event store, or its projection storage: projection records, leases, dead letters and the
   * single active runner stay in the store's database (sqliteProjectionStorage, postgresProjectionStorage).
   */
  store: ProjectionsTarget;
  /** First part of every key (default 'factum'). */
  prefix?: string;
  /** Keys deleted per step when an old generation is removed in the background (default 500). */
  dropStep?: number;
  /** Told about a failed background removal (it is tried again on the next drop). */
  onError?: (error: Error) => void;
}

/** A Redis projection storage: also says when old generations have been removed. */
export interface RedisProjectionStorage extends ProjectionStorage {
  readonly prefix: string;
  /** Resolves once the background removal of dropped generations has finished. */
  drained(): Promise<void>;
}

/**
 * Read models in Redis. Documents, their indexes, each generation's checkpoint and the live
 * generation pointer are in Redis; everything else (projection records, leases, dead letters) is
 * the store's own projection storage, whose transactions this storage's transactions run in.
 * A transaction's Redis writes are held until its task ends, then sent as one Lua script inside
 * the store's transaction: a throw writes nothing to either. A batch's script applies only if the
 * stored checkpoint is below the batch's position, so a batch is never applied twice, even when
 * Redis applied it and the reply was lost. Dropped generations vanish at once (their epoch key
 * is deleted in the same script) and their keys are removed in the background, in bounded steps.
 * Inline projections are not supported (Redis cannot join the append's transaction).
 */
export function redisProjectionStorage(options: RedisProjectionStorageOptions): RedisProjectionStorage {
  return brandStorage(new RedisStorage(options));
}

class RedisStorage implements RedisProjectionStorage {
  readonly base: ProjectionStorage;
  readonly client: RedisCommands;
  readonly prefix: string;
  readonly #dropStep: number;
  readonly #onError: ((error: Error) => void) | undefined;
  #drops: Promise<void> = Promise.resolve();
  /**
   * What writing transactions read of generations, kept for the next ones: epoch key → epoch, and
   * generation prefix → its meta. A transaction's script applies only if what it used is still
   * stored (a layout guard), so a changed generation fails one transaction, which clears these.
   */
  readonly epochs = new Map<string, string>();
  readonly metas = new Map<string, ReadonlyMap<string, string[][]>>();

  /** Forgets the generations read: after a failure, or a transaction that changed generations. */
  forget(): void {
    this.epochs.clear();
    this.metas.clear();
  }

  constructor(options: RedisProjectionStorageOptions) {
    this.base = projectionStorageFor(options.store);
    this.client = options.client;
    this.prefix = options.prefix ?? 'factum';
    this.#dropStep = options.dropStep ?? 500;
    this.#onError = options.onError;
  }

  get dialect() {
    return this.base.dialect;
  }

  get store() {
    return this.base.store;
  }

  get sessionLocks(): SessionLocks | undefined {
    return this.base.sessionLocks;
  }

  transaction<T>(task: (tx: StorageTx) => Promise<T>, scope?: string): Promise<T> {
    return this.#transaction(task, scope, false);
  }

  /**
   * The store's own batch (on SQLite `work` runs without the write lock), with the handler's
   * documents in Redis: `work` writes into this batch's pending Redis writes, and the committing
   * transaction sends them with the checkpoint as one script that applies only past the stored
   * checkpoint.
   */
  async batch<T>(scope: string, steps: BatchSteps<T>): Promise<BatchResult<T>> {
    const pending = new Pending();
    const outside = new RedisStorageTx(this, undefined, pending, true);
    // A handler call that failed because Redis did is not the handler's failure (it would be retried
    // and dead-lettered): it stops the batch, whose commit then fails with it, and the runner starts
    // again from the stored checkpoint.
    let failed: RedisCommandError | undefined;
    const wrap = (base: BatchTx): BatchTx => ({
      projectionTx: (layout) => outside.projectionTx(layout),
      blockedKeys: (projection, generation) => base.blockedKeys(projection, generation),
      addDeadLetter: (letter) => base.addDeadLetter(letter),
      // Not an async function: one promise less per handler call.
      call(handler) {
        if (failed !== undefined) return Promise.reject(failed);
        let called: Promise<void>;
        try {
          called = handler() ?? Promise.resolve();
        } catch (error) {
          called = Promise.reject(error);
        }
        return called.then(
          () => 'done' as const,
          (error: unknown) => {
            if (!(error instanceof RedisCommandError)) throw error;
            failed = error;
            return 'deferred' as const;
          },
        );
      },
    });
    try {
      return await this.base.batch(scope, {
        check: (base) => steps.check(new RedisStorageTx(this, base, undefined, true)),
        work: (base) => steps.work(wrap(base)),
        commit: async (base, value, direct) => {
          if (failed !== undefined) throw failed;
          const tx = new RedisStorageTx(this, base, pending, true);
          try {
            await steps.commit(tx, value, wrap(direct));
            await tx.commit();
          } finally {
            tx.end();
          }
        },
      });
    } catch (error) {
      this.forget();
      throw error;
    } finally {
      outside.end();
    }
  }

  read<T>(task: (tx: StorageTx) => Promise<T>): Promise<T> {
    return this.base.read(async (base) => {
      const tx = new RedisStorageTx(this, base, undefined, false);
      try {
        return await task(tx);
      } finally {
        tx.end();
      }
    });
  }

  head(): Promise<bigint> {
    return this.base.head();
  }

  countEventsAfter(position: bigint): Promise<number> {
    return this.base.countEventsAfter(position);
  }

  now(): number {
    return this.base.now();
  }

  addAppendHook(): () => void {
    throw new NotSupportedError(
      'inline projections (their writes would not commit with the append)',
      'Redis',
    );
  }

  drained(): Promise<void> {
    return this.#drops;
  }

  async #transaction<T>(task: (tx: StorageTx) => Promise<T>, scope: string | undefined, strict: boolean) {
    const pending = new Pending();
    let value: T;
    try {
      value = await this.base.transaction(async (base) => {
        const tx = new RedisStorageTx(this, base, pending, strict);
        try {
          const value = await task(tx);
          await tx.commit();
          return value;
        } finally {
          tx.end();
        }
      }, scope);
    } catch (error) {
      this.forget();
      throw error;
    }
    // Generations made, dropped or given indexes: read them again.
    if (pending.keys.size > 0 || pending.hashFields.length > 0) this.forget();
    if (pending.drops.length > 0) this.#dropLater(pending.drops);
    return value;
  }

  /** Removes the keys of dropped generations, a bounded SCAN step and UNLINK at a time. */
  #dropLater(prefixes: readonly string[]): void {
    this.#drops = this.#drops.then(async () => {
      for (const prefix of prefixes) {
        try {
          let cursor = '0';
          do {
            const [next, keys] = await command<[string, string[]]>(this.client, [
              'SCAN',
              cursor,
              'MATCH',
              `${globEscape(prefix)}:*`,
              'COUNT',
              String(this.#dropStep),
            ]);
            cursor = next;
            if (keys.length > 0) await command(this.client, ['UNLINK', ...keys]);
          } while (cursor !== '0');
        } catch (error) {
          this.#onError?.(error instanceof Error ? error : new Error(String(error)));
        }
      }
    });
  }
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

const normalise = (indexes: CollectionIndexes): string[][] =>
  (indexes ?? []).map((i) => (typeof i === 'string' ? [i] : [...i]));
type CollectionIndexes = readonly (string | readonly string[])[] | undefined;

class RedisStorageTx implements StorageTx, DocumentScope {
  readonly #storage: RedisStorage;
  readonly #store: StorageTx | undefined;
  readonly pending: Pending | undefined;
  readonly #strict: boolean;
  #ended = false;
  /** Generation prefix → collection → indexes, as read from (or written to) its meta hash. */
  readonly #meta = new Map<string, Map<string, string[][]>>();
  readonly #epochs = new Map<string, string | null>();
  readonly #handles = new Map<GenerationLayout, GenerationHandle>();

  constructor(
    storage: RedisStorage,
    base: StorageTx | undefined,
    pending: Pending | undefined,
    strict: boolean,
  ) {
    this.#storage = storage;
    this.#store = base;
    this.pending = pending;
    this.#strict = strict;
  }

  get client(): RedisCommands {
    return this.#storage.client;
  }

  /** The store's transaction (a batch's `work` has none: it reaches the store through its BatchTx). */
  get #base(): StorageTx {
    if (this.#store === undefined) throw new TypeError('No store transaction here');
    return this.#store;
  }

  end(): void {
    this.#ended = true;
  }

  #live(): void {
    if (this.#ended) throw new TransactionClosedError('use the Redis read model');
  }

  #writes(): Pending {
    this.#live();
    if (this.pending === undefined) throw new TypeError('Writes are only allowed inside a transaction');
    return this.pending;
  }

  async commit(): Promise<void> {
    const pending = this.#writes();
    if (pending.empty) return;
    const ops = pending.ops(padPosition);
    const result = await applyOps(this.client, ops);
    if (result.startsWith('layout:')) {
      this.#storage.forget();
      throw new StaleBatchError(result.slice('layout:'.length));
    }
    if (result !== 'ok') {
      const [, key, stored] = /^stale:(.*):(\d+)$/.exec(result) ?? [];
      const position = pending.guards.get(key ?? '') ?? 0n;
      throw new StaleBatchError(key ?? '?', parsePosition(stored ?? '0'), position);
    }
  }

  #base_(projection: string): string {
    return projectionBase(this.#storage.prefix, projection);
  }

  async #epoch(projection: string, generation: number): Promise<string | undefined> {
    this.#live();
    const key = epochKey(this.#base_(projection), generation);
    const pending = this.pending?.keys.get(key);
    if (pending !== undefined) return pending ?? undefined;
    // Epochs change only in transactions of the projection's scope: one read per transaction, or
    // none in a writing one when an earlier one read it (its script checks it is still the same).
    let epoch = this.#epochs.get(key);
    if (epoch === undefined) {
      const cache = this.pending === undefined ? undefined : this.#storage.epochs;
      epoch = cache?.get(key) ?? (await command<string | null>(this.client, ['GET', key]));
      this.#epochs.set(key, epoch);
      if (epoch !== null) cache?.set(key, epoch);
    }
    if (epoch !== null) this.pending?.epochs.set(key, epoch);
    return epoch ?? undefined;
  }

  async #metaOf(gen: string): Promise<Map<string, string[][]>> {
    let meta = this.#meta.get(gen);
    if (meta === undefined) {
      const cache = this.pending === undefined ? undefined : this.#storage.metas;
      const cached = cache?.get(gen);
      if (cached === undefined) {
        meta = new Map();
        const flat = await command<string[]>(this.client, ['HGETALL', metaKey(gen)]);
        for (let i = 0; i < flat.length; i += 2) meta.set(flat[i]!, JSON.parse(flat[i + 1]!) as string[][]);
        cache?.set(gen, new Map(meta));
      } else {
        // A copy: createGeneration changes this transaction's meta before it commits.
        meta = new Map(cached);
      }
      this.#meta.set(gen, meta);
    }
    return meta;
  }

  known(layout: GenerationLayout): GenerationHandle | undefined {
    this.#live();
    return this.#handles.get(layout);
  }

  async generation(layout: GenerationLayout): Promise<GenerationHandle> {
    // Resolved once per layout and transaction (every document call asks); made again after this
    // transaction creates or drops a generation.
    const known = this.#handles.get(layout);
    if (known !== undefined) {
      this.#live();
      return known;
    }
    const handle = await this.#resolve(layout);
    this.#handles.set(layout, handle);
    return handle;
  }

  async #resolve(layout: GenerationLayout): Promise<GenerationHandle> {
    const epoch = await this.#epoch(layout.projection, layout.generation);
    if (epoch === undefined) {
      throw new ProjectionNotFoundError(
        `generation ${layout.generation} of projection ${layout.projection} in Redis`,
      );
    }
    const gen = generationPrefix(this.#base_(layout.projection), layout.generation, epoch);
    const meta = await this.#metaOf(gen);
    return { gen, indexes: (collection) => meta.get(collection) ?? [] };
  }

  // Checkpoints of projection generations are in Redis; any other follower's stay in the store.

  async getCheckpoint(name: string): Promise<bigint | undefined> {
    const parsed = parseCheckpointName(name);
    if (parsed === undefined) return this.#base.getCheckpoint(name);
    this.#live();
    const key = checkpointKey(this.#base_(parsed.projection), parsed.generation);
    const guard = this.pending?.guards.get(key);
    if (guard !== undefined) return guard;
    const own = this.pending?.checkpoints.get(key);
    const stored = await command<string | null>(this.client, ['GET', key]);
    const committed = stored === null ? undefined : parsePosition(stored);
    if (own === null) return undefined;
    if (own === undefined) return committed;
    return committed !== undefined && committed > own ? committed : own;
  }

  async setCheckpoint(name: string, position: bigint): Promise<void> {
    const parsed = parseCheckpointName(name);
    if (parsed === undefined) return this.#base.setCheckpoint(name, position);
    const pending = this.#writes();
    const key = checkpointKey(this.#base_(parsed.projection), parsed.generation);
    if (this.#strict) {
      const before = pending.guards.get(key);
      pending.guards.set(key, before !== undefined && before > position ? before : position);
      pending.checkpoints.delete(key);
      return;
    }
    const before = pending.checkpoints.get(key);
    pending.checkpoints.set(
      key,
      before !== undefined && before !== null && before > position ? before : position,
    );
  }

  async deleteCheckpoint(name: string): Promise<void> {
    const parsed = parseCheckpointName(name);
    if (parsed === undefined) return this.#base.deleteCheckpoint(name);
    const pending = this.#writes();
    const key = checkpointKey(this.#base_(parsed.projection), parsed.generation);
    pending.guards.delete(key);
    pending.checkpoints.set(key, null);
  }

  // Generations: a key prefix each (with an epoch, so a generation made again never meets old keys).

  async createGeneration(layout: GenerationLayout): Promise<void> {
    if (layout.tables.length > 0) throw new NotSupportedError('raw tables (declare documents)', 'Redis');
    const pending = this.#writes();
    this.#handles.clear();
    const base = this.#base_(layout.projection);
    let epoch = await this.#epoch(layout.projection, layout.generation);
    const existed = epoch !== undefined;
    if (epoch === undefined) {
      epoch = randomBytes(6).toString('hex');
      pending.keys.set(epochKey(base, layout.generation), epoch);
    }
    const gen = generationPrefix(base, layout.generation, epoch);
    const meta = existed ? await this.#metaOf(gen) : new Map<string, string[][]>();
    this.#meta.set(gen, meta);
    for (const [collection, options] of Object.entries(layout.documents)) {
      const before = meta.get(collection) ?? [];
      const wanted = normalise(options.indexes);
      const merged = [...before];
      for (const index of wanted) {
        if (!merged.some((m) => JSON.stringify(m) === JSON.stringify(index))) merged.push(index);
      }
      if (meta.has(collection) && merged.length === before.length) continue;
      meta.set(collection, merged);
      pending.hashFields.push([metaKey(gen), collection, JSON.stringify(merged)]);
      if (!existed || merged.length === before.length) continue;
      // New indexes on a generation that has documents: write them again, which indexes them.
      const writes = pending.collection(gen, collection, merged);
      writes.indexes = merged;
      const flat = await command<string[]>(this.client, ['HGETALL', docsKey(gen, collection)]);
      for (let i = 0; i < flat.length; i += 2) {
        const [id, json] = [flat[i]!, flat[i + 1]!];
        if (!writes.docs.has(id)) pending.put(writes, id, json);
      }
      // This transaction's own earlier writes get the new indexes too.
      for (const [id, entry] of writes.docs) {
        if (entry !== null) pending.put(writes, id, entry.json);
      }
    }
  }

  async dropGeneration(layout: GenerationLayout): Promise<void> {
    const pending = this.#writes();
    this.#handles.clear();
    const base = this.#base_(layout.projection);
    const epoch = await this.#epoch(layout.projection, layout.generation);
    if (epoch === undefined) return;
    pending.keys.set(epochKey(base, layout.generation), null);
    pending.drops.push(generationPrefix(base, layout.generation, epoch));
  }

  async publishGeneration(layout: GenerationLayout): Promise<void> {
    const pending = this.#writes();
    const { gen } = await this.generation(layout);
    pending.keys.set(liveKey(this.#base_(layout.projection)), gen);
  }

  projectionTx(layout: GenerationLayout): ProjectionTx {
    this.#live();
    return new RedisProjectionTx(this, layout);
  }

  async savepoint<T>(task: () => Promise<T>): Promise<T> {
    const pending = this.#writes();
    return this.#base.savepoint(async () => {
      const before = pending.snapshot();
      try {
        return await task();
      } catch (error) {
        pending.restore(before);
        throw error;
      }
    });
  }

  // The rest is the store's own projection storage.

  getLease(name: string): Promise<LeaseRecord | undefined> {
    return this.#base.getLease(name);
  }
  putLease(lease: LeaseRecord): Promise<void> {
    return this.#base.putLease(lease);
  }
  getProjection(name: string): Promise<ProjectionRecord | undefined> {
    return this.#base.getProjection(name);
  }
  listProjections(): Promise<ProjectionRecord[]> {
    return this.#base.listProjections();
  }
  putProjection(record: Omit<ProjectionRecord, 'createdAt' | 'updatedAt' | 'paused'>): Promise<void> {
    return this.#base.putProjection(record);
  }
  setPaused(name: string, paused: ProjectionPause | null): Promise<boolean> {
    return this.#base.setPaused(name, paused);
  }
  claimObjects(projection: string, objects: readonly { name: string; kind: 'documents' | 'table' }[]) {
    return this.#base.claimObjects(projection, objects);
  }
  ownerOf(name: string): Promise<string | undefined> {
    return this.#base.ownerOf(name);
  }
  readCommittedLog(after: bigint, limit: number): Promise<{ events: StoredEvent[]; last: bigint }> {
    return this.#base.readCommittedLog(after, limit);
  }
  addDeadLetter(letter: NewDeadLetter): Promise<number> {
    return this.#base.addDeadLetter(letter);
  }
  getDeadLetter(id: number): Promise<DeadLetter | undefined> {
    return this.#base.getDeadLetter(id);
  }
  listDeadLetters(query: DeadLetterQuery): Promise<DeadLetter[]> {
    return this.#base.listDeadLetters(query);
  }
  updateDeadLetter(
    id: number,
    changes: Partial<Pick<DeadLetter, 'status' | 'error' | 'attempts' | 'action'>>,
  ): Promise<void> {
    return this.#base.updateDeadLetter(id, changes);
  }
  deleteDeadLetter(id: number): Promise<void> {
    return this.#base.deleteDeadLetter(id);
  }
  deleteDeadLetters(projection: string, generation: number): Promise<void> {
    return this.#base.deleteDeadLetters(projection, generation);
  }
  blockedKeys(projection: string, generation: number): Promise<Set<string>> {
    return this.#base.blockedKeys(projection, generation);
  }
  countDeadLetters(projection: string, generation: number): Promise<{ dead: number; parked: number }> {
    return this.#base.countDeadLetters(projection, generation);
  }
}
