import { join } from 'node:path';
import { type EventStore, openStore } from 'factum';
import { readSagaInstance } from 'factum/sagas';
import { describe, expect, it } from 'vitest';
import { type Child, startChild } from '../support/child-process.js';
import { sleep, waitUntil } from '../support/helpers.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { services } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { commands, put, sagaEvents, types } from './support/harness.js';

const script = new URL('./support/saga-process.ts', import.meta.url).pathname;
const start = (url: string, ...args: string[]): Child => startChild(script, [url, ...args]);
const kill = (c: Child) => c.kill();

function describeProcesses(
  name: string,
  skip: boolean,
  target: () => Promise<{ url: string; store: EventStore }>,
) {
  describe.skipIf(skip)(`saga processes (${name})`, () => {
    it('P1: two processes handling two starting events of one correlation at the same instant create one instance', async () => {
      const { url, store } = await target();
      for (let round = 0; round < 3; round++) {
        const id = `twin-${round}`;
        const a = await put(store, `begin-${id}-a`, { type: 'Begun', data: { id } });
        const b = await put(store, `begin-${id}-b`, { type: 'Begun', data: { id } });
        const at = String(Date.now() + 2_500);
        const children = [start(url, 'handle', at, a.id), start(url, 'handle', at, b.id)];
        const outcomes = await Promise.all(children.map((c) => c.waitFor(/^outcome /)));
        await Promise.all(children.map((c) => c.exited));
        expect(outcomes.sort()).toEqual(['outcome applied', 'outcome ignored']);
        const events = await sagaEvents(store, 'four', id);
        expect(types(events).filter((t) => t === 'SagaStarted')).toHaveLength(1);
        expect(types(commands(events))).toEqual(['Do1']);
      }
      await store.close();
    });

    it('P4: killed with SIGKILL at any moment and restarted, the flow sends every command exactly once', async () => {
      const { url, store } = await target();
      const ids = Array.from({ length: 40 }, (_, i) => `k${i}`);
      for (const [i, id] of ids.entries()) {
        await store.append(`order-${id}`, [
          { type: 'OrderPlaced', data: { orderId: id, total: i % 5 === 0 ? 900 : 100, items: [] } },
        ]);
      }
      const final = new Set(['completed', 'compensated']);
      const done = async () => {
        for (const id of ids)
          if (!final.has((await readSagaInstance(store, 'order_fulfilment', id))?.status ?? '')) return false;
        return true;
      };
      for (let kills = 0; kills < 4; kills++) {
        const c = start(url, 'run');
        await c.waitFor(/^ready$/);
        await sleep(150 + Math.floor(Math.random() * 250));
        await kill(c);
      }
      const last = start(url, 'run');
      try {
        await waitUntil(done, 40_000);
      } finally {
        await kill(last);
      }
      for (const [i, id] of ids.entries()) {
        const sent = types(commands(await sagaEvents(store, 'order_fulfilment', id)));
        expect(sent, id).toEqual(
          i % 5 === 0 ? ['ChargePayment', 'CancelOrder'] : ['ChargePayment', 'ReserveInventory', 'ShipOrder'],
        );
        expect(types((await store.readStream(`payment-${id}`)).events), id).toEqual([
          i % 5 === 0 ? 'PaymentFailed' : 'PaymentSucceeded',
        ]);
      }
      await store.close();
    });

    it('P6: a timeout survives SIGKILL; one that fell due while everything was down fires exactly once after the restart', async () => {
      const { url, store } = await target();
      const first = start(url, 'timeouts');
      await first.waitFor(/^ready$/);
      const ids = ['w1', 'w2', 'w3', 'w4', 'w5'];
      for (const id of ids) await store.append(`begin-${id}`, [{ type: 'Begun', data: { id } }]);
      await waitUntil(async () => {
        for (const id of ids)
          if (!types(await sagaEvents(store, 'waits', id)).includes('SagaTimeoutScheduled')) return false;
        return true;
      }, 20_000);
      await kill(first);
      expect(first.lines.filter((l) => l.startsWith('fired'))).toEqual([]);
      await sleep(1_200); // every timeout is past due now, with nothing running
      const a = start(url, 'timeouts');
      const b = start(url, 'timeouts');
      try {
        await waitUntil(async () => {
          for (const id of ids)
            if ((await readSagaInstance(store, 'waits', id))?.status !== 'compensated') return false;
          return true;
        }, 30_000);
        await sleep(300);
      } finally {
        await Promise.all([kill(a), kill(b)]);
      }
      for (const id of ids) {
        expect(
          types(await sagaEvents(store, 'waits', id)).filter((t) => t === 'SagaTimeoutFired'),
          id,
        ).toHaveLength(1);
      }
      expect([...a.lines, ...b.lines].filter((l) => l.startsWith('fired')).sort()).toEqual(
        ids.map((id) => `fired ${id} reply:action:0:1`).sort(),
      );
      await store.close();
    });
  });
}

const dir = tempDir('factum-saga-processes-');
let n = 0;
describeProcesses('SQLite', false, async () => {
  const url = `sqlite:${join(dir, `p-${++n}.db`)}`;
  return { url, store: await openStore(url) };
});

const postgres = await probePostgres();
const { dropLater } = testPool();
const nextSchema = schemaNamer('factum_saga_proc');
describeProcesses('PostgreSQL', !postgres.available, async () => {
  const schema = nextSchema();
  dropLater(schema);
  const url = `${services.postgres}?schema=${schema}`;
  return { url, store: await openStore(url, { migrate: true }) };
});
