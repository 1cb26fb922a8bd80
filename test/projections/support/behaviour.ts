import type { EventStore, StoredEvent } from 'factum';
import { ErrorCodes, isFactumError } from 'factum';
import {
  createProjections,
  defineProjection,
  type Projection,
  type ProjectionAlert,
  type ProjectionStorage,
  type Projections,
  type ProjectionsOptions,
  type ProjectionTx,
  type RebuildProgress,
  retryDeadLetter,
} from 'factum/projections';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../../support/helpers.js';

export interface BehaviourFixture {
  store: EventStore;
  /** Undefined: the store's own (SQLite). */
  storage: ProjectionStorage | undefined;
}

/** A store whose clock runs `offsetMs` behind (for lag tests), fresh for each test. */
export type BehaviourFactory = (options?: {
  clockOffsetMs?: number;
}) => BehaviourFixture | Promise<BehaviourFixture>;

interface Summary {
  orderId: string;
  status: string;
  lines: number;
  history: string[];
}

/** The order summary shape used throughout: a document per order; history proves the order of application. */
function summaryProjection(options: {
  name?: string;
  poison?: (event: StoredEvent) => boolean;
  attempts?: Map<string, number>;
  retries?: number;
  orderingKey?: null;
  sla?: { maxLagMs: number };
  batchSize?: number;
  gate?: () => Promise<void>;
  version?: number;
  mark?: string;
}): Projection {
  const collection = `${options.name ?? 'summary'}_docs`;
  return defineProjection({
    name: options.name ?? 'summary',
    handles: ['OrderPlaced', 'LineAdded', 'OrderShipped'],
    documents: { [collection]: { indexes: ['status'] } },
    retry: { retries: options.retries ?? 2, initialDelayMs: 5, maxDelayMs: 20 },
    ...(options.orderingKey === null ? { orderingKey: null } : {}),
    ...(options.sla === undefined ? {} : { sla: options.sla }),
    batchSize: options.batchSize ?? 50,
    version: options.version ?? 1,
    async handle(event, tx) {
      await options.gate?.();
      if (options.poison?.(event)) {
        options.attempts?.set(event.id, (options.attempts.get(event.id) ?? 0) + 1);
        throw new Error(`cannot apply ${event.type} v${event.version} of ${event.streamId}`);
      }
      const docs = tx.documents<Summary & { mark?: string }>(collection);
      const id = event.streamId;
      const step = `${event.type}@${event.version}`;
      if (event.type === 'OrderPlaced') {
        await docs.upsert(id, {
          orderId: id,
          status: 'placed',
          lines: 0,
          history: [step],
          ...(options.mark === undefined ? {} : { mark: options.mark }),
        });
        return;
      }
      const doc = await docs.get(id);
      if (doc === undefined) throw new Error(`no summary for ${id}`);
      await docs.upsert(id, {
        ...doc,
        status: event.type === 'OrderShipped' ? 'shipped' : doc.status,
        lines: doc.lines + (event.type === 'LineAdded' ? 1 : 0),
        history: [...doc.history, step],
      });
    },
  });
}

async function placeOrders(store: EventStore, count: number, prefix = 'order'): Promise<bigint> {
  let position = 0n;
  for (let i = 0; i < count; i++) {
    ({ position } = await store.append(`${prefix}-${i}`, [
      { type: 'OrderPlaced', data: {} },
      { type: 'LineAdded', data: {} },
      { type: 'Noted', data: {} },
    ]));
  }
  return position;
}

const until = async (check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
};

/**
 * Behaviour of projections (async runner, dead letters, SLA, rebuild, leases) that every storage must
 * show; run once per storage.
 */
export function describeProjectionBehaviour(name: string, factory: BehaviourFactory): void {
  describe(`projections on ${name}`, () => {
    const open: { store: EventStore; projections: Projections[] }[] = [];
    afterEach(async () => {
      for (const o of open.splice(0)) {
        for (const p of o.projections) await p.stop();
        await o.store.close();
      }
    });

    const setup = async (
      projections: Projection[],
      options: Omit<ProjectionsOptions, 'async' | 'storage'> & { clockOffsetMs?: number } = {},
    ) => {
      const { clockOffsetMs, ...rest } = options;
      const fixture = await factory(clockOffsetMs === undefined ? {} : { clockOffsetMs });
      const instance = await createProjections(fixture.store, {
        async: projections,
        monitorEveryMs: 50,
        ...(fixture.storage === undefined ? {} : { storage: fixture.storage }),
        ...rest,
      });
      open.push({ store: fixture.store, projections: [instance] });
      return { store: fixture.store, storage: fixture.storage, projections: instance, fixture };
    };

    it('catches up from the start of the log in batches, follows live appends, and waitFor gives read-your-writes', async () => {
      const projection = summaryProjection({ batchSize: 40 });
      const fixture = await factory();
      const before = await placeOrders(fixture.store, 100);
      const projections = await createProjections(fixture.store, {
        async: [projection],
        ...(fixture.storage === undefined ? {} : { storage: fixture.storage }),
      });
      open.push({ store: fixture.store, projections: [projections] });
      let commits = 0;
      projections.on('checkpoint', () => commits++);
      projections.start();
      await projections.waitFor('summary', before);
      const docs = projections.documents<Summary>('summary_docs');
      expect(await docs.count()).toBe(100);
      expect(await docs.get('order-7')).toEqual({
        orderId: 'order-7',
        status: 'placed',
        lines: 1,
        history: ['OrderPlaced@1', 'LineAdded@2'],
      });
      expect(commits).toBeGreaterThan(1);
      expect(commits).toBeLessThan(300 / 10);

      // Live: append, wait for that position, read it back at once.
      const { position } = await fixture.store.append('order-7', [{ type: 'OrderShipped', data: {} }]);
      await projections.waitFor('summary', position, { timeoutMs: 5_000 });
      expect((await docs.get('order-7'))?.status).toBe('shipped');
      // Unhandled types at the head still move the checkpoint.
      const tail = await fixture.store.append('other-1', [{ type: 'Unrelated', data: {} }]);
      await projections.waitFor('summary', tail.position);
      const [status] = await projections.status('summary');
      expect(status).toMatchObject({ name: 'summary', mode: 'async', position: tail.position, behind: 0 });
      expect(status?.head).toBe(tail.position);
      expect(status?.local).toBe('active');
      expect(status?.runner?.owner).toBe(projections.owner);
      expect(status?.runner?.alive).toBe(true);
    });

    it('retries a failing handler with backoff, dead-letters it with error and stack, parks its stream, lets others flow, and retry releases them in order', async () => {
      let broken = true;
      const attempts = new Map<string, number>();
      const projection = summaryProjection({
        poison: (e) => broken && e.streamId === 'order-1' && e.type === 'LineAdded',
        attempts,
        retries: 2,
      });
      const alerts: ProjectionAlert[] = [];
      const { store, projections } = await setup([projection], { onAlert: (a) => alerts.push(a) });
      projections.start();
      await placeOrders(store, 3);
      // Later events of order-1 arrive behind the poisoned one; another stream keeps flowing.
      await store.append('order-1', [{ type: 'OrderShipped', data: {} }]);
      const { position } = await store.append('order-2', [{ type: 'OrderShipped', data: {} }]);
      await projections.waitFor('summary', position);

      const letters = await projections.listDeadLetters({ projection: 'summary' });
      expect(letters.map((d) => [d.status, d.event.type, d.event.streamId])).toEqual([
        ['dead', 'LineAdded', 'order-1'],
        ['parked', 'OrderShipped', 'order-1'],
      ]);
      const dead = letters[0]!;
      expect(dead.error?.message).toBe('cannot apply LineAdded v2 of order-1');
      expect(dead.error?.stack).toContain('Error: cannot apply');
      expect(dead.attempts).toBe(3);
      expect(attempts.get(dead.event.id)).toBe(3);
      expect(dead.event.data).toEqual({});
      const docs = projections.documents<Summary>('summary_docs');
      expect((await docs.get('order-1'))?.history).toEqual(['OrderPlaced@1']);
      expect((await docs.get('order-2'))?.status).toBe('shipped');
      await until(() => alerts.some((a) => a.kind === 'dead-letters'));
      expect(alerts.find((a) => a.kind === 'dead-letters')).toMatchObject({
        kind: 'dead-letters',
        projection: 'summary',
        dead: 1,
      });
      const [status] = await projections.status('summary');
      expect(status).toMatchObject({ deadLetters: 1, parked: 1, behind: 0 });

      // A parked event takes no action of its own.
      await expect(projections.retryDeadLetter(letters[1]!.id)).rejects.toThrow(/parked behind/);
      broken = false;
      const result = await projections.retryDeadLetter(dead.id);
      expect(result).toEqual({ id: dead.id, action: 'retry', outcome: 'applied', released: 1 });
      expect(await docs.get('order-1')).toMatchObject({
        status: 'shipped',
        history: ['OrderPlaced@1', 'LineAdded@2', 'OrderShipped@4'],
      });
      expect(await projections.listDeadLetters()).toEqual([]);
      // The stream is no longer blocked: its next event is applied directly.
      const next = await store.append('order-1', [{ type: 'LineAdded', data: {} }]);
      await projections.waitFor('summary', next.position);
      expect((await docs.get('order-1'))?.lines).toBe(2);
    });

    it('skip drops a dead letter and releases what was parked behind it, in order', async () => {
      const projection = summaryProjection({
        poison: (e) => e.streamId === 'order-0' && e.type === 'LineAdded',
        retries: 0,
      });
      const { store, projections } = await setup([projection]);
      projections.start();
      await placeOrders(store, 1);
      await store.append('order-0', [{ type: 'OrderShipped', data: {} }]);
      const { position } = await store.append('order-0', [{ type: 'OrderShipped', data: {} }]);
      await projections.waitFor('summary', position);
      const [dead, ...parked] = await projections.listDeadLetters();
      expect(dead?.attempts).toBe(1);
      expect(parked.map((p) => p.event.version)).toEqual([4, 5]);
      const result = await projections.skipDeadLetter(dead!.id);
      expect(result).toMatchObject({ outcome: 'applied', released: 2 });
      expect((await projections.documents<Summary>('summary_docs').get('order-0'))?.history).toEqual([
        'OrderPlaced@1',
        'OrderShipped@4',
        'OrderShipped@5',
      ]);
    });

    it('a retry that fails again keeps the dead letter with the new error and attempts', async () => {
      let message = 'first';
      const projection = defineProjection({
        name: 'fragile',
        handles: ['Tick'],
        documents: { fragile_docs: {} },
        retry: { retries: 0 },
        handle() {
          throw new Error(message);
        },
      });
      const { store, projections } = await setup([projection]);
      projections.start();
      const { position } = await store.append('t-1', [{ type: 'Tick', data: {} }]);
      await projections.waitFor('fragile', position);
      const [dead] = await projections.listDeadLetters();
      message = 'second';
      expect(await projections.retryDeadLetter(dead!.id)).toMatchObject({
        outcome: 'failed',
        error: 'second',
      });
      const [after] = await projections.listDeadLetters();
      expect(after).toMatchObject({ id: dead!.id, status: 'dead', attempts: 2, action: null });
      expect(after?.error?.message).toBe('second');
    });

    it('without an ordering key, a dead letter parks nothing', async () => {
      const projection = summaryProjection({
        poison: (e) => e.streamId === 'order-0' && e.type === 'LineAdded',
        retries: 0,
        orderingKey: null,
      });
      const { store, projections } = await setup([projection]);
      projections.start();
      await placeOrders(store, 1);
      const { position } = await store.append('order-0', [{ type: 'OrderShipped', data: {} }]);
      await projections.waitFor('summary', position);
      expect((await projections.listDeadLetters()).map((d) => d.status)).toEqual(['dead']);
      expect((await projections.documents<Summary>('summary_docs').get('order-0'))?.status).toBe('shipped');
    });

    it('carries out a retry requested from elsewhere (as the CLI does) on the active runner', async () => {
      let broken = true;
      const projection = summaryProjection({
        poison: (e) => broken && e.streamId === 'order-0' && e.type === 'LineAdded',
        retries: 0,
      });
      const { store, projections } = await setup([projection]);
      projections.start();
      const position = await placeOrders(store, 1);
      await projections.waitFor('summary', position);
      const [dead] = await projections.listDeadLetters();
      broken = false;
      const requested = await retryDeadLetter(projections.storage, dead!.id);
      expect(requested.action).toBe('retry');
      await until(async () => (await projections.listDeadLetters()).length === 0);
      expect((await projections.documents<Summary>('summary_docs').get('order-0'))?.lines).toBe(1);
    });

    it('reports lag as the age of the oldest unprocessed event and alerts when it breaks the SLA', async () => {
      let open = false;
      let release: () => void = () => {};
      const opened = new Promise<void>((r) => {
        release = r;
      });
      const projection = summaryProjection({
        sla: { maxLagMs: 1_000 },
        gate: () => (open ? Promise.resolve() : opened),
      });
      const alerts: ProjectionAlert[] = [];
      // The store's clock runs 10 s behind: every event looks 10 s old when it arrives.
      const { store, projections } = await setup([projection], {
        clockOffsetMs: 10_000,
        onAlert: (a) => alerts.push(a),
      });
      const position = await placeOrders(store, 5);
      const [before] = await projections.status('summary');
      expect(before).toMatchObject({ behind: 15, sla: { maxLagMs: 1_000 }, breached: true });
      expect(before!.lagMs).toBeGreaterThanOrEqual(10_000);
      projections.start();
      await until(() => alerts.some((a) => a.kind === 'sla-breached'));
      const breach = alerts.find((a) => a.kind === 'sla-breached');
      expect(breach).toMatchObject({ projection: 'summary', maxLagMs: 1_000 });
      expect((breach as { lagMs: number }).lagMs).toBeGreaterThanOrEqual(10_000);
      open = true;
      release();
      await projections.waitFor('summary', position);
      await until(() => alerts.some((a) => a.kind === 'sla-recovered'));
      const [after] = await projections.status('summary');
      expect(after).toMatchObject({ behind: 0, lagMs: 0, breached: false });
    });

    it('rebuilds into a new generation while the old one keeps serving reads, then swaps', async () => {
      const v1 = summaryProjection({ mark: 'v1' });
      const { store, projections, fixture } = await setup([v1]);
      projections.start();
      await placeOrders(store, 60);
      const head = await placeOrders(store, 1, 'late');
      await projections.waitFor('summary', head);
      await projections.stop();

      // A new version of the code: same projection, new output.
      const v2 = summaryProjection({ mark: 'v2', version: 2, batchSize: 25 });
      const next = await createProjections(store, {
        async: [v2],
        monitorEveryMs: 50,
        rebuildStale: false,
        ...(fixture.storage === undefined ? {} : { storage: fixture.storage }),
      });
      open.at(-1)!.projections.push(next);
      expect((await next.status('summary'))[0]).toMatchObject({ stale: true, version: 1, generation: 1 });
      next.start();
      const docs = next.documents<Summary & { mark: string }>('summary_docs');
      const progress: RebuildProgress[] = [];
      const result = await next.rebuild('summary', { batchSize: 25, onProgress: (p) => progress.push(p) });
      expect(result).toMatchObject({ projection: 'summary', generation: 2, events: 183, deadLetters: 0 });
      expect(progress.at(-1)).toMatchObject({ phase: 'done', done: 183, total: 183, etaMs: 0 });
      expect(progress.some((p) => p.phase === 'catching-up')).toBe(true);
      expect(progress.some((p) => p.phase === 'swapping')).toBe(true);
      for (let i = 1; i < progress.length; i++)
        expect(progress[i]!.done).toBeGreaterThanOrEqual(progress[i - 1]!.done);
      expect(progress.every((p) => p.total >= p.done && p.rate >= 0)).toBe(true);
      const all = await docs.find();
      expect(all).toHaveLength(61);
      expect(all.every((d) => d.mark === 'v2')).toBe(true);
      const [status] = await next.status('summary');
      expect(status).toMatchObject({ generation: 2, version: 2, stale: false, rebuilding: null });
      // The live runner moved to the new generation and keeps it current.
      const { position } = await store.append('order-3', [{ type: 'OrderShipped', data: {} }]);
      await next.waitFor('summary', position);
      expect(await docs.get('order-3')).toMatchObject({ status: 'shipped', mark: 'v2' });
    });

    it('rebuilds a projection whose version changed in the background when its runners start (the default)', async () => {
      const v1 = summaryProjection({ mark: 'v1' });
      const { store, projections, fixture } = await setup([v1]);
      projections.start();
      const head = await placeOrders(store, 30);
      await projections.waitFor('summary', head);
      await projections.stop();

      const v2 = summaryProjection({ mark: 'v2', version: 2, batchSize: 25 });
      const next = await createProjections(store, {
        async: [v2],
        monitorEveryMs: 50,
        ...(fixture.storage === undefined ? {} : { storage: fixture.storage }),
      });
      open.at(-1)!.projections.push(next);
      const docs = next.documents<Summary & { mark: string }>('summary_docs');
      expect((await next.status('summary'))[0]).toMatchObject({ stale: true, generation: 1 });
      // Nothing happens before start(): readers keep v1's read model.
      expect((await docs.find()).every((d) => d.mark === 'v1')).toBe(true);
      const swapped = new Promise<RebuildProgress>((resolve) =>
        next.on('rebuild.progress', (p) => {
          if (p.phase === 'done') resolve(p);
        }),
      );
      next.start();
      const events = (await store.readAll({ limit: 10_000 })).events.length;
      expect(await swapped).toMatchObject({ projection: 'summary', generation: 2, done: events });
      expect((await next.status('summary'))[0]).toMatchObject({ stale: false, version: 2, generation: 2 });
      const all = await docs.find();
      expect(all).toHaveLength(30);
      expect(all.every((d) => d.mark === 'v2')).toBe(true);
      const { position } = await store.append('order-late', [{ type: 'OrderPlaced', data: {} }]);
      await next.waitFor('summary', position);
      expect(await docs.get('order-late')).toMatchObject({ mark: 'v2' });
      await next.stop();

      // An instance still running version 1 (a rolling deploy) neither rebuilds back nor writes.
      const old = await createProjections(store, {
        async: [summaryProjection({ mark: 'v1' })],
        monitorEveryMs: 50,
        lease: { acquireEveryMs: 50 },
        ...(fixture.storage === undefined ? {} : { storage: fixture.storage }),
      });
      open.at(-1)!.projections.push(old);
      const errors: unknown[] = [];
      old.on('error', ({ error }) => errors.push(error));
      old.start();
      await until(() => errors.some((e) => isFactumError(e, ErrorCodes.PROJECTION_OUTDATED)));
      await store.append('order-older', [{ type: 'OrderPlaced', data: {} }]);
      await sleep(300);
      expect(await docs.get('order-older')).toBeUndefined();
      expect((await old.status('summary'))[0]).toMatchObject({
        generation: 2,
        version: 2,
        stale: true,
        behind: 1,
      });
      expect((await docs.find()).every((d) => d.mark === 'v2')).toBe(true);
    });

    it('serves the old generation, complete, to readers during a rebuild, and appends made meanwhile reach the new one', async () => {
      const v1 = summaryProjection({ mark: 'v1' });
      const { store, projections, fixture } = await setup([v1]);
      projections.start();
      const head = await placeOrders(store, 80);
      await projections.waitFor('summary', head);
      await projections.stop();
      const v2 = summaryProjection({ mark: 'v2', version: 2 });
      const next = await createProjections(store, {
        async: [v2],
        ...(fixture.storage === undefined ? {} : { storage: fixture.storage }),
      });
      open.at(-1)!.projections.push(next);
      next.start();
      const docs = next.documents<Summary & { mark: string }>('summary_docs');
      const observed: { count: number; marks: string[] }[] = [];
      let during = 0;
      const rebuilding = next.rebuild('summary', {
        batchSize: 10,
        onProgress: () => {
          during++;
        },
      });
      // A reader and a writer keep working while the rebuild runs.
      let last = 0n;
      let i = 0;
      while (during < 3 || observed.length < 3) {
        // The 80 orders both generations hold (new ones are written by the live runner's current code).
        const found = (await docs.find({ status: 'placed' })).filter((d) => d.orderId.startsWith('order-'));
        observed.push({ count: found.length, marks: [...new Set(found.map((d) => d.mark))] });
        ({ position: last } = await store.append(`new-${i++}`, [{ type: 'OrderPlaced', data: {} }]));
        if (i > 200) break;
      }
      await rebuilding;
      for (const o of observed) {
        // Never a partial or mixed read model: either the whole old one or the whole new one.
        expect(o.marks).toHaveLength(1);
        expect(o.count).toBe(80);
      }
      expect(observed.some((o) => o.marks[0] === 'v1')).toBe(true);
      await next.waitFor('summary', last);
      const after = await docs.find({ status: 'placed' });
      expect(after).toHaveLength(80 + i);
      expect(after.every((d) => d.mark === 'v2')).toBe(true);
    });

    it('refuses a second rebuild of the same projection while one runs', async () => {
      const projection = summaryProjection({});
      const { store, projections } = await setup([projection]);
      await placeOrders(store, 50);
      let second: Promise<unknown> | undefined;
      const first = projections.rebuild('summary', {
        batchSize: 5,
        onProgress: () => {
          second ??= projections.rebuild('summary').catch((e: unknown) => e);
        },
      });
      const a = await first;
      const b = await second;
      expect(a.generation).toBe(2);
      expect(isFactumError(b, ErrorCodes.LOCK_HELD)).toBe(true);
    });

    it('runs one active runner per projection; a standby takes over when it stops', async () => {
      const projection = summaryProjection({});
      const {
        store,
        projections: a,
        fixture,
      } = await setup([projection], {
        owner: 'instance-a',
        lease: { ttlMs: 1_000, acquireEveryMs: 20 },
      });
      const b = await createProjections(store, {
        async: [projection],
        owner: 'instance-b',
        lease: { ttlMs: 1_000, acquireEveryMs: 20 },
        ...(fixture.storage === undefined ? {} : { storage: fixture.storage }),
      });
      open.at(-1)!.projections.push(b);
      a.start();
      await until(async () => (await a.status('summary'))[0]?.local === 'active');
      b.start();
      await sleep(100);
      expect((await b.status('summary'))[0]?.local).toBe('standby');
      const first = await placeOrders(store, 10);
      await a.waitFor('summary', first);
      await a.stop();
      await until(async () => (await b.status('summary'))[0]?.local === 'active', 3_000);
      const second = await placeOrders(store, 10, 'later');
      await b.waitFor('summary', second);
      expect(await b.documents('summary_docs').count()).toBe(20);
      expect((await b.status('summary'))[0]?.runner?.owner).toBe('instance-b');
    });

    it('a handler that hangs past timeoutMs fails (its writes rolled back); a tx kept after its handler is closed', async () => {
      let kept: ProjectionTx | undefined;
      const projection = defineProjection({
        name: 'hanging',
        handles: ['Hang', 'Keep'],
        documents: { hanging_docs: {} },
        timeoutMs: 50,
        retry: { retries: 0 },
        async handle(event, tx) {
          const docs = tx.documents('hanging_docs');
          if (event.type === 'Keep') {
            kept = tx;
            await docs.upsert(event.streamId, { ok: true });
            return;
          }
          await docs.upsert('partial', { ok: false });
          await new Promise(() => {});
        },
      });
      const { store, projections } = await setup([projection]);
      projections.start();
      await store.append('k-1', [{ type: 'Keep', data: {} }]);
      await store.append('h-1', [{ type: 'Hang', data: {} }]);
      const { position } = await store.append('k-2', [{ type: 'Keep', data: {} }]);
      await projections.waitFor('hanging', position);
      const [dead] = await projections.listDeadLetters();
      expect(dead?.event.type).toBe('Hang');
      expect(dead?.error?.message).toMatch(
        /^Timed out after 50 ms waiting for projection hanging to handle Hang /,
      );
      const docs = projections.documents('hanging_docs');
      expect(await docs.get('partial')).toBeUndefined();
      expect(await docs.count()).toBe(2);
      await expect(kept!.documents('hanging_docs').get('k-1')).rejects.toSatisfy((e) =>
        isFactumError(e, ErrorCodes.TRANSACTION_CLOSED),
      );
    });

    it('waitFor times out with a typed error naming the position', async () => {
      const projection = summaryProjection({});
      const { store, projections } = await setup([projection]);
      const { position } = await store.append('order-1', [{ type: 'OrderPlaced', data: {} }]);
      const error = await projections
        .waitFor('summary', position, { timeoutMs: 50 })
        .catch((e: unknown) => e);
      expect(isFactumError(error, ErrorCodes.WAIT_TIMEOUT)).toBe(true);
      expect((error as Error).message).toContain(`to reach position ${position} (it is at 0)`);
      await expect(projections.waitFor('nope', 1n)).rejects.toSatisfy((e) =>
        isFactumError(e, ErrorCodes.PROJECTION_NOT_FOUND),
      );
    });
  });
}
