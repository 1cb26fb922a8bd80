import type { StoredEvent } from 'factum';
import { followStorageOf, loadCheckpoint } from 'factum/follow';
import { defineSaga, reactorRunnerName, readSagaInstance, sagaRunnerName } from 'factum/sagas';
import { describe, expect, it } from 'vitest';
import { fulfilmentServices, orderFulfilment } from '../../../examples/sagas/order-fulfilment.js';
import { waitUntil } from '../../support/helpers.js';
import { Clock, commands, fourSteps, type OpenTarget, put, sagaEvents, sagasOn, types } from './harness.js';

/**
 * The saga guarantees, each a test that fails when the guarantee breaks. Run on every store
 * (memory, SQLite, PostgreSQL); the kill -9 proofs are in processes.int.spec.ts.
 */
export function describeSagaBehaviour(name: string, skip: boolean, open: OpenTarget) {
  describe.skipIf(skip)(`sagas (${name})`, () => {
    it('runs the reference flow: success completes; PaymentFailed cancels; InsufficientStock refunds, then cancels', async () => {
      const { store, close } = await open();
      const stock = new Map([['LAMP', 3]]);
      const sagas = await sagasOn(store, [orderFulfilment], undefined, {
        reactors: fulfilmentServices(store, { declineAbove: 1_000, stock }),
      });
      sagas.start();
      try {
        await store.append('order-ok', [
          { type: 'OrderPlaced', data: { orderId: 'ok', total: 100, items: [{ sku: 'LAMP', qty: 2 }] } },
        ]);
        await store.append('order-declined', [
          {
            type: 'OrderPlaced',
            data: { orderId: 'declined', total: 5_000, items: [{ sku: 'LAMP', qty: 1 }] },
          },
        ]);
        await store.append('order-short', [
          { type: 'OrderPlaced', data: { orderId: 'short', total: 100, items: [{ sku: 'LAMP', qty: 9 }] } },
        ]);
        const final = new Set(['completed', 'compensated']);
        await waitUntil(async () => {
          for (const id of ['ok', 'declined', 'short']) {
            if (!final.has((await sagas.get('order_fulfilment', id))?.status ?? '')) return false;
          }
          return true;
        }, 15_000);
        expect((await sagas.get('order_fulfilment', 'ok'))?.status).toBe('completed');
        expect((await sagas.get('order_fulfilment', 'declined'))?.status).toBe('compensated');
        expect((await sagas.get('order_fulfilment', 'short'))?.status).toBe('compensated');
        expect(types(commands(await sagaEvents(store, 'order_fulfilment', 'ok')))).toEqual([
          'ChargePayment',
          'ReserveInventory',
          'ShipOrder',
        ]);
        // PaymentFailed: nothing to undo, the order is cancelled.
        expect(types(commands(await sagaEvents(store, 'order_fulfilment', 'declined')))).toEqual([
          'ChargePayment',
          'CancelOrder',
        ]);
        // InsufficientStock: the payment is refunded, then the order cancelled.
        expect(types(commands(await sagaEvents(store, 'order_fulfilment', 'short')))).toEqual([
          'ChargePayment',
          'ReserveInventory',
          'RefundPayment',
          'CancelOrder',
        ]);
        await waitUntil(async () => (await store.readStream('order-short')).version === 2, 5_000);
        expect(types((await store.readStream('order-short')).events)).toEqual([
          'OrderPlaced',
          'OrderCancelled',
        ]);
        // The refund and the cancellation are handled by two reactors, each a follower of its own:
        // either may commit first.
        await waitUntil(async () => (await store.readStream('payment-short')).version === 2, 5_000);
        expect(types((await store.readStream('payment-short')).events)).toEqual([
          'PaymentSucceeded',
          'PaymentRefunded',
        ]);
        expect(stock.get('LAMP')).toBe(1);
        await waitUntil(
          async () => (await sagas.status({ name: 'order_fulfilment', state: 'compensated' })).length === 2,
          10_000,
        );
        await waitUntil(
          async () => (await sagas.status({ correlationId: 'ok' }))[0]?.status === 'completed',
          10_000,
        );
        expect(await sagas.status({ correlationId: 'ok' })).toHaveLength(1);
      } finally {
        await sagas.stop();
        await close();
      }
    });

    it('P1: two starting events for one correlation, handled concurrently by two runtimes, create exactly one instance', async () => {
      const target = await open();
      const other = await target.reopen();
      const a = await sagasOn(target.store, [fourSteps()]);
      const b = await sagasOn(other, [fourSteps()]);
      try {
        for (let round = 0; round < 5; round++) {
          const id = `dup-${round}`;
          const first = await put(target.store, `begin-${id}-a`, { type: 'Begun', data: { id } });
          const second = await put(target.store, `begin-${id}-b`, { type: 'Begun', data: { id } });
          const outcomes = (await Promise.all([a.handle(first), b.handle(second)])).flat();
          expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
          const events = await sagaEvents(target.store, 'four', id);
          expect(types(events).filter((t) => t === 'SagaStarted')).toHaveLength(1);
          expect(types(commands(events))).toEqual(['Do1']);
        }
      } finally {
        if (other !== target.store) await other.close();
        await target.close();
      }
    });

    it('P2: a reply that arrives before the saga state exists is kept and applied, not lost', async () => {
      const { store, close } = await open();
      const sagas = await sagasOn(store, [fourSteps()]);
      try {
        const early = await put(store, 'svc-early', { type: 'Done1', data: { id: 'early' } });
        expect(await sagas.handle(early)).toEqual(['applied']);
        expect((await readSagaInstance(store, 'four', 'early'))?.status).toBe('new');
        const begun = await put(store, 'begin-early', { type: 'Begun', data: { id: 'early' } });
        await sagas.handle(begun);
        const instance = await sagas.get('four', 'early');
        expect(instance?.succeeded).toEqual(['s1']);
        expect(instance?.step).toBe('s2');
        expect(types(commands(instance!.events))).toEqual(['Do1', 'Do2']);
      } finally {
        await close();
      }
    });

    it('P3: redelivering any input produces no second command; idempotency keys stay the same across retries', async () => {
      const { store, close } = await open();
      const clock = new Clock();
      const retried = defineSaga({
        name: 'retried',
        version: 1,
        startedBy: ['Begun'],
        correlate: (e) => (e.data as { id?: string }).id,
        steps: [
          {
            name: 'charge',
            action: ({ start }) => ({ type: 'Charge', data: { id: start.data.id } }),
            awaits: { success: ['Charged'], failure: ['ChargeFailed'], timeout: 1_000 },
            retry: { attempts: 3, delay: 100 },
          },
        ],
      });
      const sagas = await sagasOn(store, [retried], clock);
      try {
        const begun = await put(store, 'begin-r', { type: 'Begun', data: { id: 'r' } });
        expect(await sagas.handle(begun)).toEqual(['applied']);
        expect(await sagas.handle(begun)).toEqual(['duplicate']);
        const failed = await put(store, 'svc-r', { type: 'ChargeFailed', data: { id: 'r' } });
        await sagas.handle(failed);
        expect(await sagas.handle(failed)).toEqual(['duplicate']);
        clock.advance(150);
        expect(await sagas.fireTimeout('saga_retried-r', 'retry:action:0:2')).toBe('applied');
        expect(await sagas.fireTimeout('saga_retried-r', 'retry:action:0:2')).toBe('ignored');
        clock.advance(1_100);
        expect(await sagas.fireTimeout('saga_retried-r', 'reply:action:0:2')).toBe('applied');
        clock.advance(300);
        expect(await sagas.fireTimeout('saga_retried-r', 'retry:action:0:3')).toBe('applied');
        const sent = commands(await sagaEvents(store, 'retried', 'r'));
        expect(sent.map((c) => c.metadata.sagaAttempt)).toEqual([1, 2, 3]);
        expect(new Set(sent.map((c) => c.metadata.idempotencyKey)).size).toBe(1);
        // A second runtime redelivering everything (a restart from an old checkpoint) adds nothing.
        const again = await sagasOn(store, [retried], clock);
        const before = (await store.readStream('saga_retried-r')).version;
        for (const input of [begun, failed]) expect(await again.handle(input)).toEqual(['duplicate']);
        expect((await store.readStream('saga_retried-r')).version).toBe(before);
      } finally {
        await close();
      }
    });

    it('P5: when a reply and its timeout arrive together exactly one wins; a stale timeout is ignored by token', async () => {
      const target = await open();
      const other = await target.reopen();
      const clock = new Clock();
      const a = await sagasOn(target.store, [fourSteps({ timeoutMs: 500 })], clock);
      const b = await sagasOn(other, [fourSteps({ timeoutMs: 500 })], clock);
      try {
        for (let round = 0; round < 6; round++) {
          const id = `race-${round}`;
          await a.handle(await put(target.store, `begin-${id}`, { type: 'Begun', data: { id } }));
          clock.advance(600);
          const reply = await put(target.store, `svc-${id}`, { type: 'Done1', data: { id } });
          const [replied, fired] = await Promise.all([
            round % 2 === 0 ? a.handle(reply) : b.handle(reply),
            round % 2 === 0
              ? b.fireTimeout(`saga_four-${id}`, 'reply:action:0:1')
              : a.fireTimeout(`saga_four-${id}`, 'reply:action:0:1'),
          ]);
          const events = await sagaEvents(target.store, 'four', id);
          const succeeded = events.filter(
            (e) => e.type === 'SagaStepSucceeded' && (e.data as { index: number }).index === 0,
          );
          const timedOut = events.filter((e) => e.type === 'SagaTimeoutFired');
          expect(succeeded.length + timedOut.length).toBe(1);
          expect([replied[0], fired].filter((o) => o === 'applied')).toHaveLength(1);
          // Whoever lost finds nothing to do, now or later.
          expect(await a.fireTimeout(`saga_four-${id}`, 'reply:action:0:1')).toBe('ignored');
        }
      } finally {
        if (other !== target.store) await other.close();
        await target.close();
      }
    });

    it('P7: a failure at step 3 compensates 2 then 1, each after the previous was acknowledged; steps never started are skipped', async () => {
      const { store, close } = await open();
      const sagas = await sagasOn(store, [fourSteps()]);
      try {
        const id = 'comp';
        await sagas.handle(await put(store, `begin-${id}`, { type: 'Begun', data: { id } }));
        await sagas.handle(await put(store, `svc-${id}`, { type: 'Done1', data: { id } }));
        await sagas.handle(await put(store, `svc-${id}`, { type: 'Done2', data: { id } }));
        await sagas.handle(await put(store, `svc-${id}`, { type: 'Failed3', data: { id } }));
        expect(types(commands(await sagaEvents(store, 'four', id)))).toEqual(['Do1', 'Do2', 'Do3', 'Undo2']);
        // An early acknowledgement of compensation 1 does not send anything before Undo2 is acknowledged.
        await sagas.handle(await put(store, `svc-${id}`, { type: 'Undone2', data: { id } }));
        expect(types(commands(await sagaEvents(store, 'four', id)))).toEqual([
          'Do1',
          'Do2',
          'Do3',
          'Undo2',
          'Undo1',
        ]);
        await sagas.handle(await put(store, `svc-${id}`, { type: 'Undone1', data: { id } }));
        const instance = await sagas.get('four', id);
        expect(instance?.status).toBe('compensated');
        expect(instance?.compensated).toEqual(['s2', 's1']);
        expect(types(commands(instance!.events))).toEqual(['Do1', 'Do2', 'Do3', 'Undo2', 'Undo1', 'Cancel']);
      } finally {
        await close();
      }
    });

    it('P7: a step whose outcome is unknown (it timed out) is compensated too', async () => {
      const { store, close } = await open();
      const clock = new Clock();
      const sagas = await sagasOn(store, [fourSteps({ timeoutMs: 1_000 })], clock);
      try {
        const id = 'unknown';
        await sagas.handle(await put(store, `begin-${id}`, { type: 'Begun', data: { id } }));
        await sagas.handle(await put(store, `svc-${id}`, { type: 'Done1', data: { id } }));
        clock.advance(1_500);
        expect(await sagas.fireTimeout(`saga_four-${id}`, 'reply:action:1:1')).toBe('applied');
        await sagas.handle(await put(store, `svc-${id}`, { type: 'Undone2', data: { id } }));
        await sagas.handle(await put(store, `svc-${id}`, { type: 'Undone1', data: { id } }));
        const instance = await sagas.get('four', id);
        expect(types(commands(instance!.events))).toEqual(['Do1', 'Do2', 'Undo2', 'Undo1', 'Cancel']);
        expect(instance?.status).toBe('compensated');
      } finally {
        await close();
      }
    });

    it('P8: a compensation that keeps failing parks the saga (never compensated); each compensation takes effect once despite redelivery', async () => {
      const { store, close } = await open();
      const clock = new Clock();
      const sagas = await sagasOn(store, [fourSteps({ compensationAttempts: 2 })], clock);
      try {
        const id = 'parks';
        await sagas.handle(await put(store, `begin-${id}`, { type: 'Begun', data: { id } }));
        await sagas.handle(await put(store, `svc-${id}`, { type: 'Done1', data: { id } }));
        await sagas.handle(await put(store, `svc-${id}`, { type: 'Done2', data: { id } }));
        await sagas.handle(await put(store, `svc-${id}`, { type: 'Failed3', data: { id } }));
        const undone2 = await put(store, `svc-${id}`, { type: 'Undone2', data: { id } });
        await sagas.handle(undone2);
        expect(await sagas.handle(undone2)).toEqual(['duplicate']);
        await sagas.handle(await put(store, `svc-${id}`, { type: 'UndoFailed1', data: { id } }));
        clock.advance(200);
        await sagas.fireTimeout(`saga_four-${id}`, 'retry:compensation:0:2');
        await sagas.handle(await put(store, `svc-${id}`, { type: 'UndoFailed1', data: { id } }));
        const instance = await sagas.get('four', id);
        expect(instance?.status).toBe('parked');
        expect(instance?.parked?.reason).toBe('compensation-failed');
        const events = instance!.events;
        expect(types(events)).not.toContain('SagaCompensated');
        expect(events.filter((e) => e.type === 'SagaCompensationSucceeded')).toHaveLength(1);
        expect(types(commands(events))).toEqual(['Do1', 'Do2', 'Do3', 'Undo2', 'Undo1', 'Undo1']);
        // Another parked-less instance keeps flowing.
        await sagas.handle(await put(store, 'begin-other', { type: 'Begun', data: { id: 'other' } }));
        await sagas.handle(await put(store, 'svc-other', { type: 'Done1', data: { id: 'other' } }));
        expect((await sagas.get('four', 'other'))?.step).toBe('s2');
      } finally {
        await close();
      }
    });

    it('a step whose action throws parks only its own instance; the others keep flowing', async () => {
      const { store, close } = await open();
      const fragile = defineSaga({
        name: 'fragile',
        version: 1,
        startedBy: ['Begun'],
        correlate: (e) => (e.data as { id?: string }).id,
        steps: [
          {
            name: 'only',
            action: ({ start }) => {
              if (start.data.poison) throw new Error('cannot build the command');
              return { type: 'Go', data: { id: start.data.id } };
            },
          },
        ],
      });
      const sagas = await sagasOn(store, [fragile]);
      sagas.start();
      try {
        await store.append('begin-bad', [{ type: 'Begun', data: { id: 'bad', poison: true } }]);
        await store.append('begin-good', [{ type: 'Begun', data: { id: 'good' } }]);
        await waitUntil(async () => (await sagas.get('fragile', 'good'))?.status === 'completed', 10_000);
        const bad = await sagas.get('fragile', 'bad');
        expect(bad?.status).toBe('parked');
        expect(bad?.parked?.reason).toBe('action-threw');
        expect(bad?.parked?.error).toContain('cannot build the command');
      } finally {
        await sagas.stop();
        await close();
      }
    });

    it('P9: late events after completion are ignored and never create a new instance', async () => {
      const { store, close } = await open();
      const single = defineSaga({
        name: 'single',
        version: 1,
        startedBy: ['Begun'],
        correlate: (e) => (e.data as { id?: string }).id,
        steps: [
          {
            name: 'only',
            action: ({ start }) => ({ type: 'Go', data: { id: start.data.id } }),
            awaits: { success: ['Went'], failure: ['Stuck'] },
          },
        ],
      });
      const sagas = await sagasOn(store, [single]);
      try {
        await sagas.handle(await put(store, 'begin-late', { type: 'Begun', data: { id: 'late' } }));
        await sagas.handle(await put(store, 'svc-late', { type: 'Went', data: { id: 'late' } }));
        expect((await sagas.get('single', 'late'))?.status).toBe('completed');
        const version = (await store.readStream('saga_single-late')).version;
        for (const late of [
          { type: 'Went', data: { id: 'late' } },
          { type: 'Stuck', data: { id: 'late' } },
          { type: 'Begun', data: { id: 'late' } },
        ]) {
          expect(await sagas.handle(await put(store, 'svc-late', late))).toEqual(['ignored']);
        }
        expect((await store.readStream('saga_single-late')).version).toBe(version);
        expect((await sagas.get('single', 'late'))?.status).toBe('completed');
      } finally {
        await close();
      }
    });

    it('P11: a v1 instance continues as v1 after v2 is deployed; new instances start on v2', async () => {
      const { store, close } = await open();
      const v1 = fourSteps({ version: 1 });
      const v2 = fourSteps({ version: 2, stepTwoCommand: 'DoTwoTheNewWay' });
      try {
        const old = await sagasOn(store, [v1]);
        await old.handle(await put(store, 'begin-v1', { type: 'Begun', data: { id: 'v1' } }));
        const both = await sagasOn(store, [v1, v2]);
        await both.handle(await put(store, 'svc-v1', { type: 'Done1', data: { id: 'v1' } }));
        await both.handle(await put(store, 'begin-v2', { type: 'Begun', data: { id: 'v2' } }));
        await both.handle(await put(store, 'svc-v2', { type: 'Done1', data: { id: 'v2' } }));
        expect((await both.get('four', 'v1'))?.version).toBe(1);
        expect(types(commands((await both.get('four', 'v1'))!.events))).toEqual(['Do1', 'Do2']);
        expect((await both.get('four', 'v2'))?.version).toBe(2);
        expect(types(commands((await both.get('four', 'v2'))!.events))).toEqual(['Do1', 'DoTwoTheNewWay']);
        // A process without v1 parks a v1 instance (with the reason) rather than running it on v2.
        const onlyV2 = await sagasOn(store, [v2]);
        await onlyV2.handle(await put(store, 'svc-v1', { type: 'Done2', data: { id: 'v1' } }));
        const parked = await onlyV2.get('four', 'v1');
        expect(parked?.status).toBe('parked');
        expect(parked?.parked?.reason).toBe('version-unknown');
      } finally {
        await close();
      }
    });

    it('P12: rebuilding the index or replaying every input from the start re-runs no side effect', async () => {
      const { store, close } = await open();
      let actions = 0;
      const counted = defineSaga({
        name: 'counted',
        version: 1,
        startedBy: ['Begun'],
        correlate: (e) => (e.data as { id?: string }).id,
        steps: [
          {
            name: 'a',
            action: ({ start }) => {
              actions++;
              return { type: 'DoA', data: { id: start.data.id } };
            },
            awaits: { success: ['DoneA'] },
            compensate: () => ({ type: 'UndoA', data: {} }),
          },
          { name: 'b', action: ({ start }) => (actions++, { type: 'DoB', data: { id: start.data.id } }) },
        ],
      });
      const sagas = await sagasOn(store, [counted]);
      sagas.start();
      try {
        for (let i = 0; i < 5; i++)
          await store.append(`begin-${i}`, [{ type: 'Begun', data: { id: `${i}` } }]);
        for (let i = 0; i < 5; i++) await store.append(`svc-${i}`, [{ type: 'DoneA', data: { id: `${i}` } }]);
        await waitUntil(
          async () => (await sagas.status({ name: 'counted', state: 'completed' })).length === 5,
          10_000,
        );
        expect(actions).toBe(10);
        await sagas.stop();
        const head = (await store.readAll({ after: 0n, limit: 100_000 })).last;
        await sagas.index.rebuild('sagas');
        // A runtime that lost its checkpoint handles every input again: all duplicates.
        const fresh = await sagasOn(store, [counted]);
        const { events } = await store.readAll({ after: 0n, limit: 100_000, types: ['Begun', 'DoneA'] });
        for (const e of events) expect(await fresh.handle(e)).toEqual(['duplicate']);
        expect((await store.readAll({ after: head, limit: 10 })).events).toHaveLength(0);
        expect(actions).toBe(10);
        expect(await fresh.status({ name: 'counted', state: 'completed' })).toHaveLength(5);
      } finally {
        await sagas.stop();
        await close();
      }
    });

    it('P13: every output carries the saga correlation id and the triggering message as causation', async () => {
      const { store, close } = await open();
      const sagas = await sagasOn(store, [orderFulfilment], undefined, {
        reactors: fulfilmentServices(store),
      });
      sagas.start();
      try {
        await store.append('order-c13', [
          { type: 'OrderPlaced', data: { orderId: 'c13', total: 10, items: [] } },
        ]);
        await waitUntil(
          async () => (await sagas.get('order_fulfilment', 'c13'))?.status === 'completed',
          10_000,
        );
        const { events } = await store.readAll({ after: 0n, limit: 10_000 });
        const byId = new Map(events.map((e) => [e.id, e]));
        const outputs = events.filter((e) => e.streamId !== 'order-c13');
        expect(outputs.length).toBeGreaterThan(10);
        for (const out of outputs) {
          expect(out.metadata.correlationId, `${out.type} correlation`).toBe('c13');
          const cause = byId.get(out.metadata.causationId as string);
          expect(cause, `${out.type} ${out.streamId} has its trigger as causation`).toBeDefined();
          expect(cause!.position).toBeLessThan(out.position);
        }
        // Each service reply is caused by the command it answers.
        for (const reply of events.filter((e) =>
          ['PaymentSucceeded', 'InventoryReserved', 'OrderShipped'].includes(e.type),
        )) {
          expect(byId.get(reply.metadata.causationId as string)?.metadata.messageKind).toBe('command');
        }
      } finally {
        await sagas.stop();
        await close();
      }
    });

    it('P3: reactors: handling every event again (a lost checkpoint) appends nothing twice', async () => {
      const { store, close } = await open();
      const options = { reactors: fulfilmentServices(store) };
      const sagas = await sagasOn(store, [orderFulfilment], undefined, options);
      sagas.start();
      try {
        for (const id of ['r1', 'r2', 'r3']) {
          await store.append(`order-${id}`, [
            { type: 'OrderPlaced', data: { orderId: id, total: 10, items: [] } },
          ]);
        }
        await waitUntil(async () => (await sagas.status({ state: 'completed' })).length === 3, 10_000);
        await sagas.stop();
        const head = (await store.readAll({ after: 0n, limit: 100_000 })).last;
        const storage = followStorageOf(store);
        await storage.transaction(async (tx) => {
          for (const name of ['payments', 'inventory', 'shipping', 'orders'])
            await tx.deleteCheckpoint(reactorRunnerName(name));
          await tx.deleteCheckpoint(sagaRunnerName('order_fulfilment'));
        });
        const again = await sagasOn(store, [orderFulfilment], undefined, options);
        again.start();
        // Filtered followers checkpoint the last event they were given.
        const lastOf = async (types: readonly string[]) =>
          (await store.readAll({ after: 0n, limit: 100_000, types })).last;
        const lastShip = await lastOf(['ShipOrder']);
        const lastInput = await lastOf(orderFulfilment.inputTypes);
        await waitUntil(
          async () => (await loadCheckpoint(storage, reactorRunnerName('shipping'))) >= lastShip,
          10_000,
        );
        await waitUntil(
          async () => (await loadCheckpoint(storage, sagaRunnerName('order_fulfilment'))) >= lastInput,
          10_000,
        );
        await again.stop();
        expect((await store.readAll({ after: head, limit: 10 })).events).toEqual([]);
      } finally {
        await sagas.stop();
        await close();
      }
    });

    it('P14: operator actions are recorded with actor and reason; repeating one is harmless', async () => {
      const { store, close } = await open();
      const clock = new Clock();
      const sagas = await sagasOn(store, [fourSteps({ compensationAttempts: 1 })], clock);
      try {
        const id = 'op';
        await sagas.handle(await put(store, `begin-${id}`, { type: 'Begun', data: { id } }));
        await sagas.handle(await put(store, `svc-${id}`, { type: 'Done1', data: { id } }));
        await sagas.handle(await put(store, `svc-${id}`, { type: 'Failed2', data: { id } }));
        await sagas.handle(await put(store, `svc-${id}`, { type: 'UndoFailed1', data: { id } }));
        expect((await sagas.get('four', id))?.status).toBe('parked');
        const by = { actor: 'ada', reason: 'the payment provider is back' };
        expect(await sagas.retry('four', id, by)).toMatchObject({ action: 'retry', applied: true });
        expect(await sagas.retry('four', id, by)).toMatchObject({
          applied: false,
          note: 'only a parked saga is retried',
        });
        expect(types(commands((await sagas.get('four', id))!.events))).toEqual([
          'Do1',
          'Do2',
          'Undo1',
          'Undo1',
        ]);
        await sagas.handle(await put(store, `svc-${id}`, { type: 'Undone1', data: { id } }));
        expect((await sagas.get('four', id))?.status).toBe('compensated');
        expect(await sagas.abort('four', id, by)).toMatchObject({ applied: false });

        await sagas.handle(await put(store, 'begin-ab', { type: 'Begun', data: { id: 'ab' } }));
        expect(await sagas.abort('four', 'ab', { actor: 'bob', reason: 'duplicate order' })).toMatchObject({
          applied: true,
        });
        expect(await sagas.abort('four', 'ab', { actor: 'bob', reason: 'duplicate order' })).toMatchObject({
          applied: false,
        });
        const events = (await sagas.get('four', 'ab'))!.events;
        const requests = events.filter((e) => e.type === 'SagaOperatorRequested');
        expect(requests.map((e) => e.data)).toEqual([
          { action: 'abort', actor: 'bob', reason: 'duplicate order' },
          { action: 'abort', actor: 'bob', reason: 'duplicate order' },
        ]);
        const recorded = events
          .filter((e) => e.type === 'SagaOperatorActionRecorded')
          .map((e) => (e.data as { applied: boolean }).applied);
        expect(recorded).toEqual([true, false]);
        expect(types(events).filter((t) => t === 'SagaAborted')).toHaveLength(1);
        expect(types(commands(events))).toEqual(['Do1']);

        await sagas.handle(await put(store, 'begin-sk', { type: 'Begun', data: { id: 'sk' } }));
        expect(await sagas.skip('four', 'sk', by)).toMatchObject({ applied: true });
        expect((await sagas.get('four', 'sk'))?.step).toBe('s2');
        expect(await sagas.compensate('four', 'sk', by)).toMatchObject({ applied: true });
        expect(types(commands((await sagas.get('four', 'sk'))!.events))).toEqual(['Do1', 'Do2', 'Undo2']);
        expect(await sagas.compensate('four', 'sk', by)).toMatchObject({ applied: false });
        await expect(sagas.retry('four', 'nobody', by)).rejects.toMatchObject({
          code: 'FACTUM_SAGA_NOT_FOUND',
        });
        await expect(sagas.retry('four', 'sk', { actor: 'ada', reason: ' ' })).rejects.toMatchObject({
          code: 'FACTUM_INVALID_ARGUMENT',
        });
      } finally {
        await close();
      }
    });

    it('fires a due timeout through the scheduler once, and a cancelled one never', async () => {
      const { store, close } = await open();
      const clock = new Clock();
      const sagas = await sagasOn(store, [fourSteps({ timeoutMs: 1_000 })], clock);
      const fired: string[] = [];
      sagas.on('timeout-fired', (t) => fired.push(`${t.correlationId}:${t.token}`));
      sagas.start();
      try {
        await store.append('begin-t1', [{ type: 'Begun', data: { id: 't1' } }]);
        const { position } = await store.append('begin-t2', [{ type: 'Begun', data: { id: 't2' } }]);
        await waitUntil(async () => (await sagas.get('four', 't2'))?.waiting === 'reply', 10_000);
        await store.append('svc-t2', [{ type: 'Done1', data: { id: 't2' } }]);
        await waitUntil(async () => (await sagas.get('four', 't2'))?.step === 's2', 10_000);
        const head = (await store.readAll({ after: position, limit: 10_000 })).last;
        await sagas.index.waitFor('sagas', head);
        clock.advance(1_200);
        await waitUntil(() => fired.length >= 2, 10_000);
        await waitUntil(async () => (await sagas.get('four', 't1'))?.status === 'compensating', 10_000);
        expect(fired.sort()).toEqual(['t1:reply:action:0:1', 't2:reply:action:1:1']);
        const t1 = await sagas.get('four', 't1');
        expect(types(t1!.events).filter((t) => t === 'SagaTimeoutFired')).toHaveLength(1);
      } finally {
        await sagas.stop();
        await close();
      }
    });
  });
}

export type { StoredEvent };
