import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../core/envelope.js';
import { ErrorCodes, isFactumError } from '../core/errors.js';
import type { EventStore } from '../core/store.js';
import { checkLease, releaseLease, renewLease, tryAcquireLease } from '../follow/index.js';
import { documentReader } from '../projections/read-model.js';
import { projectionCheckpoint } from '../projections/status.js';
import type { GenerationLayout, ProjectionStorage } from '../projections/storage.js';
import { sleep } from './helpers.js';
import { describeBatchContract } from './projection-batch-contract.js';

export interface ProjectionStorageFixture {
  store: EventStore;
  storage: ProjectionStorage;
}

export type ProjectionStorageFactory = () => ProjectionStorageFixture | Promise<ProjectionStorageFixture>;

const layout = (generation: number): GenerationLayout => ({
  projection: 'contract',
  generation,
  documents: { contract_docs: { indexes: ['status', ['customer', 'total'], 'address.city'] } },
  tables: [],
});

interface Doc {
  id: string;
  status?: string | null;
  total?: number;
  customer?: string;
  paid?: boolean;
  address?: { city: string };
  tags?: string[];
}

const DOCS: Doc[] = [
  { id: 'a', status: 'placed', total: 10, customer: 'ada', paid: true, address: { city: 'Berlin' } },
  { id: 'b', status: 'shipped', total: 25, customer: 'bob', paid: false, address: { city: 'Paris' } },
  { id: 'c', status: 'placed', total: 7.5, customer: 'ada', paid: false },
  { id: 'd', status: null, total: 40, customer: 'cy', address: { city: 'Berlin' } },
  { id: 'e', total: 25, customer: 'bob', tags: ['x'] },
];

/**
 * The projection storage conformance suite: the SQLite and memory storages pass it, and so must a
 * PostgreSQL one. `factory` returns a fresh store and its projection storage for each test.
 */
export function describeProjectionStorageContract(name: string, factory: ProjectionStorageFactory): void {
  describe(`ProjectionStorage contract: ${name}`, () => {
    let store: EventStore;
    let storage: ProjectionStorage;
    beforeEach(async () => {
      ({ store, storage } = await factory());
      await storage.transaction(async (tx) => {
        await tx.createGeneration(layout(1));
        await tx.publishGeneration(layout(1));
        await tx.claimObjects('contract', [{ name: 'contract_docs', kind: 'documents' }]);
        await tx.putProjection({
          name: 'contract',
          mode: 'async',
          version: 1,
          liveGeneration: 1,
          buildingGeneration: null,
          slaMaxLagMs: null,
        });
      });
    });
    afterEach(async () => {
      await store.close();
    });

    const seed = () =>
      storage.transaction(async (tx) => {
        const docs = tx.projectionTx(layout(1)).documents<Doc>('contract_docs');
        for (const d of DOCS) await docs.upsert(d.id, d);
      });
    const find = (filter?: Parameters<ReturnType<typeof documentReader>['find']>[0], options?: object) =>
      documentReader<Doc>(storage, 'contract_docs')
        .find(filter, options)
        .then((docs) => docs.map((d) => d.id));

    describe('documents', () => {
      it('upserts, gets, patches (shallow) and deletes documents by id', async () => {
        await storage.transaction(async (tx) => {
          const docs = tx.projectionTx(layout(1)).documents<Doc & { nested?: object }>('contract_docs');
          await docs.upsert('o-1', { id: 'o-1', status: 'placed', total: 5, nested: { a: 1, b: 2 } });
          expect(await docs.get('o-1')).toEqual({
            id: 'o-1',
            status: 'placed',
            total: 5,
            nested: { a: 1, b: 2 },
          });
          expect(await docs.patch('o-1', { status: 'shipped', nested: { a: 3 }, customer: undefined })).toBe(
            true,
          );
          expect(await docs.get('o-1')).toEqual({ id: 'o-1', status: 'shipped', total: 5, nested: { a: 3 } });
          expect(await docs.patch('o-1', { status: null })).toBe(true);
          expect((await docs.get('o-1'))?.status).toBeNull();
          expect(await docs.patch('missing', { status: 'x' })).toBe(false);
          expect(await docs.get('missing')).toBeUndefined();
          await docs.upsert('o-1', { id: 'o-1', total: 1 });
          expect(await docs.get('o-1')).toEqual({ id: 'o-1', total: 1 });
          expect(await docs.delete('o-1')).toBe(true);
          expect(await docs.delete('o-1')).toBe(false);
          expect(await docs.get('o-1')).toBeUndefined();
        });
      });

      it('patches keys that are not plain identifiers too', async () => {
        await storage.transaction(async (tx) => {
          const docs = tx.projectionTx(layout(1)).documents<Record<string, unknown>>('contract_docs');
          await docs.upsert('k', { 'a.b': 1, "it's": 2 });
          await docs.patch('k', { 'a.b': 3, 'x y': 4 });
          expect(await docs.get('k')).toEqual({ 'a.b': 3, "it's": 2, 'x y': 4 });
        });
      });

      it('hands out copies: changing a returned document changes nothing stored', async () => {
        await seed();
        const reader = documentReader<Doc>(storage, 'contract_docs');
        const a = await reader.get('a');
        a!.status = 'mutated';
        expect((await reader.get('a'))?.status).toBe('placed');
      });

      it('finds by equality, null, booleans, dotted paths, ranges, in and ne', async () => {
        await seed();
        expect(await find({ status: 'placed' })).toEqual(['a', 'c']);
        expect(await find({ status: null })).toEqual(['d', 'e']);
        expect(await find({ paid: true })).toEqual(['a']);
        expect(await find({ paid: false })).toEqual(['b', 'c']);
        expect(await find({ 'address.city': 'Berlin' })).toEqual(['a', 'd']);
        expect(await find({ total: { gt: 10 } })).toEqual(['b', 'd', 'e']);
        expect(await find({ total: { gte: 10, lt: 40 } })).toEqual(['a', 'b', 'e']);
        expect(await find({ total: { lte: 7.5 } })).toEqual(['c']);
        expect(await find({ customer: { in: ['ada', 'cy'] } })).toEqual(['a', 'c', 'd']);
        expect(await find({ customer: { in: [] } })).toEqual([]);
        expect(await find({ status: { ne: 'placed' } })).toEqual(['b', 'd', 'e']);
        expect(await find({ status: { ne: null } })).toEqual(['a', 'b', 'c']);
        expect(await find({ customer: 'bob', total: 25 })).toEqual(['b', 'e']);
        expect(await find({ customer: { gte: 'b', lt: 'c' } })).toEqual(['b', 'e']);
        expect(await find({ nothing: 'x' })).toEqual([]);
        expect(await find()).toEqual(['a', 'b', 'c', 'd', 'e']);
      });

      it('orders (missing values last ascending, first descending), limits, offsets and counts', async () => {
        await seed();
        expect(await find({}, { orderBy: 'total' })).toEqual(['c', 'a', 'b', 'e', 'd']);
        expect(await find({}, { orderBy: ['total', 'desc'] })).toEqual(['d', 'b', 'e', 'a', 'c']);
        expect(await find({}, { orderBy: 'address.city' })).toEqual(['a', 'd', 'b', 'c', 'e']);
        expect(await find({}, { orderBy: ['address.city', 'desc'] })).toEqual(['c', 'e', 'b', 'a', 'd']);
        expect(await find({}, { orderBy: 'total', limit: 2 })).toEqual(['c', 'a']);
        expect(await find({}, { orderBy: 'total', limit: 2, offset: 2 })).toEqual(['b', 'e']);
        expect(await find({}, { orderBy: 'total', offset: 4 })).toEqual(['d']);
        const reader = documentReader<Doc>(storage, 'contract_docs');
        expect(await reader.count()).toBe(5);
        expect(await reader.count({ customer: 'bob' })).toBe(2);
      });

      it('refuses bad ids, documents, fields and operators with typed errors', async () => {
        await storage.transaction(async (tx) => {
          const docs = tx.projectionTx(layout(1)).documents<Record<string, unknown>>('contract_docs');
          const invalid = (p: Promise<unknown>) =>
            expect(p).rejects.toSatisfy((e) => isFactumError(e, ErrorCodes.INVALID_ARGUMENT));
          await invalid(docs.upsert('', {}));
          await invalid(docs.upsert('x', [] as unknown as Record<string, unknown>));
          await invalid(docs.upsert('x', null as unknown as Record<string, unknown>));
          await invalid(docs.find({ "x'); DROP TABLE t; --": 1 }));
          await invalid(docs.find({ total: { between: [1, 2] } as never }));
          await invalid(docs.find({ total: { gt: true } as never }));
          await invalid(docs.find({ total: Number.NaN }));
          await invalid(docs.find({}, { orderBy: 'a b' }));
          await invalid(docs.find({}, { limit: 0 }));
          expect(() => tx.projectionTx(layout(1)).documents('undeclared')).toThrow(
            expect.objectContaining({ code: ErrorCodes.PROJECTION_NOT_FOUND }),
          );
        });
      });
    });

    describe('transactions', () => {
      it('rolls back every write of a transaction that throws', async () => {
        const boom = new Error('boom');
        await expect(
          storage.transaction(async (tx) => {
            await tx.projectionTx(layout(1)).documents('contract_docs').upsert('x', { a: 1 });
            await tx.setCheckpoint(projectionCheckpoint('contract', 1), 42n);
            await tx.addDeadLetter(deadLetter(event(1n, 's-1'), 'dead'));
            await tx.putLease({ name: 'l', owner: 'o', token: 1, acquiredAt: 1, renewedAt: 1, expiresAt: 2 });
            throw boom;
          }),
        ).rejects.toBe(boom);
        await storage.read(async (tx) => {
          expect(await tx.projectionTx(layout(1)).documents('contract_docs').get('x')).toBeUndefined();
          expect(await tx.getCheckpoint(projectionCheckpoint('contract', 1))).toBeUndefined();
          expect(await tx.listDeadLetters({})).toEqual([]);
          expect(await tx.getLease('l')).toBeUndefined();
        });
      });

      it('undoes only a failed savepoint', async () => {
        await storage.transaction(async (tx) => {
          const docs = tx.projectionTx(layout(1)).documents('contract_docs');
          await docs.upsert('kept', { v: 1 });
          await expect(
            tx.savepoint(async () => {
              await docs.upsert('undone', { v: 2 });
              await docs.patch('kept', { v: 3 });
              throw new Error('inner');
            }),
          ).rejects.toThrow('inner');
          await tx.savepoint(async () => docs.upsert('second', { v: 4 }));
        });
        const reader = documentReader(storage, 'contract_docs');
        expect(await reader.get('kept')).toEqual({ v: 1 });
        expect(await reader.get('undone')).toBeUndefined();
        expect(await reader.get('second')).toEqual({ v: 4 });
      });

      it('lets readers see only committed state while a transaction is open', async () => {
        let release: () => void = () => {};
        const held = new Promise<void>((r) => {
          release = r;
        });
        let inside: () => void = () => {};
        const entered = new Promise<void>((r) => {
          inside = r;
        });
        const writer = storage.transaction(async (tx) => {
          await tx.projectionTx(layout(1)).documents('contract_docs').upsert('pending', { v: 1 });
          inside();
          await held;
        });
        await entered;
        const reader = documentReader(storage, 'contract_docs');
        const reading = reader.get('pending');
        await sleep(20);
        const during = await Promise.race([reading, new Promise((r) => setTimeout(() => r('waiting'), 20))]);
        release();
        await writer;
        // Either the read waits for the commit (SQLite's one connection) or it reads the state before it
        // (PostgreSQL's snapshots): never the open transaction's row.
        if (during === 'waiting') expect(await reading).toEqual({ v: 1 });
        else expect(during).toBeUndefined();
        expect(await reader.get('pending')).toEqual({ v: 1 });
      });

      it('serialises transactions', async () => {
        const order: string[] = [];
        const run = (name: string, ms: number) =>
          storage.transaction(async () => {
            order.push(`${name}:start`);
            await sleep(ms);
            order.push(`${name}:end`);
          });
        await Promise.all([run('a', 20), run('b', 1), run('c', 1)]);
        expect(order).toEqual(['a:start', 'a:end', 'b:start', 'b:end', 'c:start', 'c:end']);
      });

      it('serialises transactions of one scope, and a transaction without a scope with every other', async () => {
        const order: string[] = [];
        const run = (name: string, ms: number, scope: string | undefined) =>
          storage.transaction(async () => {
            order.push(`${name}:start`);
            await sleep(ms);
            order.push(`${name}:end`);
          }, scope);
        await Promise.all([
          run('p1', 20, 'p'),
          run('q1', 1, 'q'),
          run('p2', 1, 'p'),
          run('all', 5, undefined),
          run('q2', 1, 'q'),
        ]);
        const at = (mark: string) => order.indexOf(mark);
        expect(at('p1:end')).toBeLessThan(at('p2:start'));
        expect(at('q1:end')).toBeLessThan(at('q2:start'));
        // The unscoped one runs alone: after everything queued before it, before everything after it.
        for (const before of ['p1', 'q1', 'p2']) expect(at(`${before}:end`)).toBeLessThan(at('all:start'));
        expect(at('all:end')).toBeLessThan(at('q2:start'));
        expect(at('all:end')).toBe(at('all:start') + 1);
      });
    });

    describeBatchContract(() => storage, layout);

    describe('registry, checkpoints and generations', () => {
      it('keeps projections, checkpoints (lossless bigints) and owners', async () => {
        await storage.transaction(async (tx) => {
          await tx.setCheckpoint(projectionCheckpoint('contract', 1), 2n ** 52n + 7n);
          await tx.setCheckpoint(projectionCheckpoint('contract', 2), 5n);
          await tx.deleteCheckpoint(projectionCheckpoint('contract', 2));
        });
        await storage.read(async (tx) => {
          expect(await tx.getCheckpoint(projectionCheckpoint('contract', 1))).toBe(2n ** 52n + 7n);
          expect(await tx.getCheckpoint(projectionCheckpoint('contract', 2))).toBeUndefined();
          const record = await tx.getProjection('contract');
          expect(record).toMatchObject({ name: 'contract', mode: 'async', version: 1, liveGeneration: 1 });
          expect(record?.createdAt).toBeInstanceOf(Date);
          expect((await tx.listProjections()).map((p) => p.name)).toEqual(['contract']);
          expect(await tx.ownerOf('contract_docs')).toBe('contract');
          expect(await tx.ownerOf('nobody')).toBeUndefined();
        });
        await expect(
          storage.transaction((tx) =>
            tx.claimObjects('other', [{ name: 'contract_docs', kind: 'documents' }]),
          ),
        ).rejects.toThrow(/already owns/);
      });

      it('keeps generations apart; publishing switches readers; dropping removes one', async () => {
        await storage.transaction(async (tx) => {
          await tx.projectionTx(layout(1)).documents('contract_docs').upsert('x', { g: 1 });
          await tx.createGeneration(layout(2));
          await tx.createGeneration(layout(2));
          await tx.projectionTx(layout(2)).documents('contract_docs').upsert('x', { g: 2 });
        });
        const reader = documentReader(storage, 'contract_docs');
        expect(await reader.get('x')).toEqual({ g: 1 });
        await storage.transaction(async (tx) => {
          await tx.publishGeneration(layout(2));
          await tx.dropGeneration(layout(1));
          const record = (await tx.getProjection('contract'))!;
          await tx.putProjection({ ...record, liveGeneration: 2 });
        });
        expect(await reader.get('x')).toEqual({ g: 2 });
        await storage.read(async (tx) => {
          await expect(tx.projectionTx(layout(1)).documents('contract_docs').get('x')).rejects.toThrow();
        });
      });

      it('reports the head of the log and how many events follow a position', async () => {
        expect(await storage.head()).toBe(0n);
        await store.append('s-1', [
          { type: 'A', data: {} },
          { type: 'A', data: {} },
        ]);
        const { position } = await store.append('s-2', [{ type: 'A', data: {} }]);
        expect(await storage.head()).toBe(position);
        const first = (await store.readAll({ limit: 1 })).events[0]!.position;
        expect(await storage.countEventsAfter(first)).toBe(2);
        expect(await storage.countEventsAfter(position)).toBe(0);
      });

      it('reads the committed log from inside a transaction, in position order, a page at a time', async () => {
        await store.append('s-1', [
          { type: 'A', data: { n: 1 } },
          { type: 'B', data: { n: 2 } },
        ]);
        await store.append('s-2', [{ type: 'A', data: { n: 3 } }]);
        const all = (await store.readAll()).events;
        await storage.transaction(async (tx) => {
          const first = await tx.readCommittedLog(0n, 2);
          expect(first.events.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
          expect(first.last).toBe(all[1]!.position);
          const rest = await tx.readCommittedLog(first.last, 10);
          expect(rest.events.map((e) => [e.id, e.streamId, e.version, e.position])).toEqual([
            [all[2]!.id, 's-2', 1, all[2]!.position],
          ]);
          expect(await tx.readCommittedLog(rest.last, 10)).toEqual({ events: [], last: rest.last });
        });
      });
    });

    describe('dead letters', () => {
      it('stores the whole event and error; lists by key in position order; counts; blocks keys', async () => {
        const e1 = event(5n, 'order-1');
        const e2 = event(9n, 'order-1');
        const e3 = event(7n, 'order-2');
        const ids = await storage.transaction(async (tx) => [
          await tx.addDeadLetter({ ...deadLetter(e1, 'dead'), error: { message: 'bad', stack: 'at x' } }),
          await tx.addDeadLetter(deadLetter(e2, 'parked')),
          await tx.addDeadLetter({ ...deadLetter(e3, 'dead'), orderingKey: null }),
        ]);
        await storage.read(async (tx) => {
          const first = await tx.getDeadLetter(ids[0]!);
          expect(first).toMatchObject({
            projection: 'contract',
            generation: 1,
            status: 'dead',
            orderingKey: 'order-1',
            error: { message: 'bad', stack: 'at x' },
            attempts: 4,
            action: null,
          });
          expect(first?.event).toEqual(e1);
          expect((await tx.listDeadLetters({ projection: 'contract' })).map((d) => d.event.position)).toEqual(
            [5n, 7n, 9n],
          );
          expect((await tx.listDeadLetters({ orderingKey: 'order-1' })).map((d) => d.status)).toEqual([
            'dead',
            'parked',
          ]);
          expect((await tx.listDeadLetters({ status: 'parked' })).length).toBe(1);
          expect((await tx.listDeadLetters({ limit: 1 })).length).toBe(1);
          expect(await tx.countDeadLetters('contract', 1)).toEqual({ dead: 2, parked: 1 });
          expect([...(await tx.blockedKeys('contract', 1))]).toEqual(['order-1']);
          expect((await tx.blockedKeys('contract', 2)).size).toBe(0);
        });
        await storage.transaction(async (tx) => {
          await tx.updateDeadLetter(ids[0]!, { action: 'retry', attempts: 5 });
          await tx.updateDeadLetter(ids[1]!, { status: 'dead', error: { message: 'e2', stack: null } });
        });
        await storage.read(async (tx) => {
          expect((await tx.listDeadLetters({ withAction: true })).map((d) => d.id)).toEqual([ids[0]]);
          expect((await tx.getDeadLetter(ids[0]!))?.attempts).toBe(5);
          expect((await tx.getDeadLetter(ids[1]!))?.error).toEqual({ message: 'e2', stack: null });
        });
        await storage.transaction(async (tx) => {
          await tx.deleteDeadLetter(ids[0]!);
          await tx.deleteDeadLetters('contract', 1);
        });
        await storage.read(async (tx) => expect(await tx.listDeadLetters({})).toEqual([]));
      });
    });

    describe('leases', () => {
      it('grants one holder, refuses others while it lives, hands over on expiry with a new token', async () => {
        const a = await tryAcquireLease(storage, { name: 'projection:x', scope: 'x' }, 'a', 60_000);
        expect(a).toMatchObject({ owner: 'a', token: 1 });
        expect(
          await tryAcquireLease(storage, { name: 'projection:x', scope: 'x' }, 'b', 60_000),
        ).toBeUndefined();
        expect(
          (await tryAcquireLease(storage, { name: 'projection:x', scope: 'x' }, 'a', 60_000))?.token,
        ).toBe(1);
        const renewed = await renewLease(storage, a!, 60_000, 'x');
        expect(renewed?.expiresAt).toBeGreaterThanOrEqual(a!.expiresAt);

        const short = await tryAcquireLease(storage, { name: 'projection:y', scope: 'y' }, 'a', 30);
        await sleep(60);
        const b = await tryAcquireLease(storage, { name: 'projection:y', scope: 'y' }, 'b', 60_000);
        expect(b).toMatchObject({ owner: 'b', token: 2 });
        // The old holder can neither renew nor commit under its lease any more (fencing).
        expect(await renewLease(storage, short!, 60_000, 'y')).toBeUndefined();
        await expect(storage.transaction((tx) => checkLease(tx, short!))).rejects.toSatisfy((e) =>
          isFactumError(e, ErrorCodes.LEASE_LOST),
        );
        await storage.transaction((tx) => checkLease(tx, b!));

        await releaseLease(storage, b!, 'y');
        expect(
          await tryAcquireLease(storage, { name: 'projection:y', scope: 'y' }, 'c', 60_000),
        ).toMatchObject({
          owner: 'c',
          token: 3,
        });
      });
    });
  });
}

function event(position: bigint, streamId: string): StoredEvent {
  return {
    id: `0190f3c2-7a1e-7c55-9b1e-${position.toString().padStart(12, '0')}`,
    type: 'Happened',
    streamId,
    category: streamId.split('-')[0]!,
    version: Number(position),
    position,
    schemaVersion: 1,
    timestamp: new Date(1_700_000_000_000 + Number(position)),
    data: { n: Number(position), nested: { list: [1, 'two', null] } },
    metadata: { correlationId: 'c-1' },
  };
}

function deadLetter(e: StoredEvent, status: 'dead' | 'parked') {
  return {
    projection: 'contract',
    generation: 1,
    status,
    orderingKey: e.streamId,
    event: e,
    error: status === 'dead' ? { message: 'failed', stack: null } : null,
    attempts: status === 'dead' ? 4 : 0,
  } as const;
}
