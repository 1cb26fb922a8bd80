import type { Emitter } from '../core/emitter.js';
import { LeaseLostError, LockHeldError, ProjectionNotFoundError, StoreClosedError } from '../core/errors.js';
import { tracingHook } from '../core/tracing.js';
import {
  acquireLease,
  type CheckedLeaseOptions,
  follow,
  type HeldLease,
  holdLease,
  logSource,
} from '../follow/index.js';
import { type ApplyTarget, applyEvents, applyRange, layoutOf, Superseded } from './apply.js';
import { directBatchTx } from './batch.js';
import type { ProjectionEvents, RebuildProgress } from './events.js';
import { projectionCheckpoint, rebuildLeaseName } from './status.js';
import { type ProjectionStorage, readAheadOf, type StorageTx } from './storage.js';
import type { Projection } from './types.js';

export interface RebuildOptions {
  /** Called after every batch, and once more when the new generation is live. */
  onProgress?: (progress: RebuildProgress) => void;
  /** Events per transaction while replaying (default: the projection's batchSize, at least 2,000). */
  batchSize?: number;
  signal?: AbortSignal;
}

export interface RebuildResult {
  projection: string;
  /** The generation now live. */
  generation: number;
  /** Checkpoint of the new generation at the swap. */
  position: bigint;
  events: number;
  elapsedMs: number;
  deadLetters: number;
}

export interface RebuildDeps {
  storage: ProjectionStorage;
  owner: string;
  lease: CheckedLeaseOptions;
  emitter: Emitter<ProjectionEvents>;
}

class NotCaughtUp extends Error {}

let rebuilds = 0;

/**
 * Rebuilds a projection without downtime: creates a fresh generation of its read model, replays the
 * whole log into it in batches (each committed with the generation's own checkpoint) while readers keep
 * using the live generation, then, in one transaction, applies the last events, points readers at the
 * new generation and drops the old one. On SQLite that transaction holds the write lock, so no append
 * slips between the last replayed event and the swap; an async projection's runner then continues
 * from the new generation's checkpoint. One rebuild per projection at a time (a lease).
 */
export function rebuildProjection(
  deps: RebuildDeps,
  projection: Projection,
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  if (tracingHook === undefined) return rebuildUnderLease(deps, projection, options);
  // One span for the whole rebuild (its pages are not traced one by one).
  const request = {
    name: `rebuild ${projection.name}`,
    kind: 'internal' as const,
    attributes: { 'factum.projection.name': projection.name },
  };
  return tracingHook.inSpan(request, async (span) => {
    const result = await rebuildUnderLease(deps, projection, options);
    span.setAttribute('factum.projection.generation', result.generation);
    span.setAttribute('factum.rebuild.events', result.events);
    span.setAttribute('factum.rebuild.dead_letters', result.deadLetters);
    return result;
  });
}

async function rebuildUnderLease(
  deps: RebuildDeps,
  projection: Projection,
  options: RebuildOptions,
): Promise<RebuildResult> {
  const { storage, owner } = deps;
  const name = projection.name;
  const leaseName = { name: rebuildLeaseName(name), scope: name };
  // Each rebuild call is its own holder, so even two calls in one process exclude each other.
  const lease = await acquireLease(storage, leaseName, `${owner}#${++rebuilds}`, deps.lease);
  if (lease === undefined) {
    const holder = await storage.read((tx) => tx.getLease(leaseName.name));
    const until =
      holder === undefined ? '' : ` until ${new Date(holder.expiresAt).toISOString()} unless renewed`;
    throw new LockHeldError(leaseName.name, `${holder?.owner ?? 'another process'}${until}`);
  }
  let result: RebuildResult | undefined;
  const end = await holdLease(lease, deps.lease, options.signal, async (signal) => {
    result = await replayAndSwap(deps, projection, options, lease, signal);
  });
  if (end === 'lost') throw new LeaseLostError(lease.record.name, lease.record.owner);
  if (end === 'closed') throw new StoreClosedError(`rebuild projection ${name}`);
  if (result === undefined) throw new Error(`rebuild of ${name} ended without a result`);
  return result;
}

/**
 * Under the rebuild's lease: creates the new generation, replays the log into it up to the head
 * found on starting (the follow kit's catch-up), then swaps; a swap that finds the new generation
 * behind (a handler failed on the last events, or the live runner is ahead) replays more and tries
 * again.
 */
async function replayAndSwap(
  deps: RebuildDeps,
  projection: Projection,
  options: RebuildOptions,
  lease: HeldLease,
  signal: AbortSignal,
): Promise<RebuildResult> {
  const { storage, emitter } = deps;
  const name = projection.name;
  const started = performance.now();
  const generation = await storage.transaction(async (tx) => {
    await lease.check(tx);
    const record = await tx.getProjection(name);
    if (record === undefined) throw new ProjectionNotFoundError(`projection ${name}`);
    if (record.buildingGeneration !== null) {
      // A rebuild that died half-way: start over.
      await discardGeneration(tx, projection, record.buildingGeneration);
    }
    const generation = Math.max(record.liveGeneration, record.buildingGeneration ?? 0) + 1;
    const layout = layoutOf(projection, generation);
    await tx.createGeneration(layout);
    await projection.setup?.(tx.projectionTx(layout));
    await tx.setCheckpoint(projectionCheckpoint(name, generation), 0n);
    await tx.putProjection({ ...record, buildingGeneration: generation });
    return generation;
  }, name);

  const target: ApplyTarget = {
    projection,
    layout: layoutOf(projection, generation),
    signal,
    fence: async (tx) => {
      await lease.check(tx);
      const record = await tx.getProjection(name);
      if (record?.buildingGeneration !== generation) throw new Superseded(name, generation);
    },
  };
  const batchSize = options.batchSize ?? Math.max(projection.batchSize, 2_000);
  let position = 0n;
  let done = 0;
  let deadLetters = 0;
  const report = async (phase: RebuildProgress['phase']) => {
    if (options.onProgress === undefined && !emitter.has('rebuild.progress')) return;
    const remaining = phase === 'done' ? 0 : await storage.countEventsAfter(position);
    const elapsedMs = performance.now() - started;
    const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
    const progress: RebuildProgress = {
      projection: name,
      generation,
      phase,
      done,
      total: done + remaining,
      rate: Math.round(rate),
      etaMs: rate > 0 ? Math.round((remaining / rate) * 1000) : 0,
      elapsedMs: Math.round(elapsedMs),
    };
    options.onProgress?.(progress);
    emitter.emit('rebuild.progress', progress);
  };

  for (let attempt = 1; ; attempt++) {
    // Replay in pages up to the head of the log as it is now; the swap applies the rest.
    position = await follow({
      source: logSource(storage.store, { head: () => storage.head() }),
      after: position,
      pageSize: batchSize,
      live: false,
      prefetch: readAheadOf(storage),
      signal,
      onPage: async (page, readAhead) => {
        const counts = await applyEvents(storage, target, page.events, readAhead);
        deadLetters += counts.dead;
        position = page.last;
        done += page.events.length;
        await report('catching-up');
      },
    });
    signal.throwIfAborted();
    await report('swapping');
    try {
      const swapped = await storage.transaction((tx) => swap(tx, storage, target, position, batchSize), name);
      position = swapped.position;
      done += swapped.events;
      break;
    } catch (error) {
      // A handler failed on the last events, or the live runner is ahead: replay more, then try again.
      if (!(error instanceof NotCaughtUp) || attempt >= 20) throw error;
    }
  }
  await report('done');
  return {
    projection: name,
    generation,
    position,
    events: done,
    elapsedMs: Math.round(performance.now() - started),
    deadLetters,
  };
}

/**
 * The swap, in one transaction: apply what was appended since the last batch, check that the new
 * generation is not behind the live one, point readers at it and drop the old generation. The
 * transaction is scoped to the projection, so appends that run it inline wait until the swap commits
 * and then write the new generation.
 */
async function swap(
  tx: StorageTx,
  storage: ProjectionStorage,
  target: ApplyTarget,
  from: bigint,
  batchSize: number,
): Promise<{ position: bigint; events: number }> {
  const { projection, layout } = target;
  const name = projection.name;
  await target.fence(tx);
  const mode = (await tx.getProjection(name))?.mode;
  // An async projection's runner goes on from wherever the swap stops: it applies the log up to the
  // head as it is now, without chasing the appends that keep coming.
  const head = mode === 'inline' ? undefined : await storage.head();
  let position = from;
  let events = 0;
  while (head === undefined || position < head) {
    // An inline projection's appends are locked out by this transaction (on SQLite, every append is):
    // read every committed event. An async projection reads the log as its runner does, gap-safe.
    const page =
      mode === 'inline'
        ? await tx.readCommittedLog(position, batchSize)
        : await storage.store.readAll({ after: position, limit: batchSize });
    if (page.events.length === 0) break;
    const counts = { applied: 0, parked: 0, dead: 0 };
    const stop = await applyRange(
      directBatchTx(tx, []),
      target,
      page.events,
      0,
      page.events.length,
      counts,
      [],
    );
    if (stop !== undefined) throw new NotCaughtUp();
    position = page.last;
    events += page.events.length;
    // A short page is the head: with appends locked out nothing follows it.
    if (page.events.length < batchSize) break;
  }
  const record = await tx.getProjection(name);
  if (record === undefined) throw new ProjectionNotFoundError(`projection ${name}`);
  const live = record.liveGeneration;
  if (
    record.mode === 'async' &&
    ((await tx.getCheckpoint(projectionCheckpoint(name, live))) ?? 0n) > position
  )
    throw new NotCaughtUp();
  await tx.setCheckpoint(projectionCheckpoint(name, layout.generation), position);
  await tx.publishGeneration(layout);
  await discardGeneration(tx, projection, live);
  await tx.putProjection({
    ...record,
    liveGeneration: layout.generation,
    buildingGeneration: null,
    version: projection.version,
  });
  return { position, events };
}

async function discardGeneration(tx: StorageTx, projection: Projection, generation: number): Promise<void> {
  await tx.dropGeneration(layoutOf(projection, generation));
  await tx.deleteCheckpoint(projectionCheckpoint(projection.name, generation));
  await tx.deleteDeadLetters(projection.name, generation);
}
