import { join } from 'node:path';
import type { EventStore } from 'factum';
import { createPostgresStore } from 'factum/postgres';
import { createSagas, defineSaga } from 'factum/sagas';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { fulfilmentServices, orderFulfilment } from '../../examples/sagas/order-fulfilment.js';
import { runCli } from '../../src/cli/program.js';
import { waitUntil } from '../support/helpers.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { services } from '../support/services.js';
import { tempDir } from '../support/temp.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    text: () => out.join(''),
    io: {
      cwd: process.cwd(),
      out: (t: string) => out.push(t),
      err: (t: string) => err.push(t),
      env: { USER: 'ops' },
    },
  };
}

/** A saga whose compensation is never acknowledged: it parks after one attempt. */
const stubborn = defineSaga({
  name: 'stubborn',
  version: 1,
  startedBy: ['Begun'],
  correlate: (e) => (e.data as { id?: string }).id,
  steps: [
    {
      name: 'reserve',
      action: ({ start }) => ({ type: 'Reserve', data: { id: start.data.id } }),
      awaits: { success: ['Reserved'] },
      compensate: {
        action: () => ({ type: 'Release', data: {} }),
        awaits: { success: ['Released'], failure: ['ReleaseFailed'] },
        retry: { attempts: 1 },
      },
    },
    {
      name: 'pay',
      action: () => ({ type: 'Pay', data: {} }),
      awaits: { success: ['Paid'], failure: ['Declined'] },
    },
  ],
});

function describeCli(name: string, skip: boolean, open: () => Promise<{ store: EventStore; url: string }>) {
  describe.skipIf(skip)(`factum sagas (${name})`, () => {
    it('lists and shows instances, and applies operator actions through the running application', async () => {
      const { store, url } = await open();
      const sagas = await createSagas(store, {
        sagas: [orderFulfilment, stubborn],
        reactors: fulfilmentServices(store, { declineAbove: 500 }),
        lease: { strategy: 'row', ttlMs: 2_000, renewEveryMs: 200, acquireEveryMs: 50 },
      });
      sagas.start();
      const cli = async (...args: string[]) => {
        const run = io();
        const code = await runCli([...args, '--store', url], run.io);
        return { code, out: run.text(), err: run.err.join('') };
      };
      try {
        await store.append('order-1', [
          { type: 'OrderPlaced', data: { orderId: '1', total: 10, items: [] } },
        ]);
        await store.append('order-2', [
          { type: 'OrderPlaced', data: { orderId: '2', total: 900, items: [] } },
        ]);
        await store.append('begin-p', [{ type: 'Begun', data: { id: 'p' } }]);
        await store.append('svc-p', [{ type: 'Reserved', data: { id: 'p' } }]);
        await store.append('svc-p', [{ type: 'Declined', data: { id: 'p' } }]);
        await store.append('svc-p', [{ type: 'ReleaseFailed', data: { id: 'p' } }]);
        await waitUntil(async () => (await sagas.status({ state: 'parked' })).length === 1, 10_000);
        await waitUntil(
          async () => (await sagas.status({ name: 'order_fulfilment' })).every((s) => s.status !== 'running'),
          10_000,
        );

        const list = await cli('sagas', 'list');
        expect(list.code).toBe(0);
        expect(list.out).toMatch(/^SAGA\s+CORRELATION\s+STATUS/);
        expect(list.out).toMatch(/order_fulfilment\s+1\s+completed/);
        expect(list.out).toMatch(/order_fulfilment\s+2\s+compensated/);
        expect(list.out).toMatch(/stubborn\s+p\s+parked\s+reserve\s+undo\s+1 .*compensation-failed/);
        const parked = await cli('sagas', 'list', '--state', 'parked', '--json');
        expect(
          parked.out
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l).correlationId),
        ).toEqual(['p']);
        expect((await cli('sagas', 'list', '--state', 'stuck')).code).toBe(2);

        const show = await cli('sagas', 'show', 'order_fulfilment', '2');
        expect(show.code).toBe(0);
        expect(show.out).toContain('Saga order_fulfilment 2 (version 1): compensated');
        expect(show.out).toContain('failure:      failed at payment');
        expect(show.out).toMatch(/→ ChargePayment \(command\)/);
        expect(show.out).toMatch(/→ CancelOrder \(command\)/);
        const missing = await cli('sagas', 'show', 'order_fulfilment', 'nope');
        expect(missing.code).toBe(1);
        expect(missing.err).toContain("no instance of saga order_fulfilment for correlation 'nope'");

        expect((await cli('sagas', 'retry', 'stubborn', 'p')).code).toBe(2);
        const retry = await cli('sagas', 'retry', 'stubborn', 'p', '--reason', 'the warehouse is back');
        expect(retry).toMatchObject({ code: 0, out: 'retry stubborn p: applied\n' });
        const again = await cli('sagas', 'retry', 'stubborn', 'p', '--reason', 'the warehouse is back');
        expect(again).toMatchObject({
          code: 3,
          out: 'retry stubborn p: not applied: only a parked saga is retried\n',
        });
        const abort = await cli(
          'sagas',
          'abort',
          'stubborn',
          'p',
          '--reason',
          'cancelled by the customer',
          '--actor',
          'ada',
        );
        expect(abort.code).toBe(0);
        expect((await cli('sagas', 'abort', 'stubborn', 'p', '--reason', 'twice')).code).toBe(3);
        const events = (await store.readStream('saga_stubborn-p')).events;
        expect(events.filter((e) => e.type === 'SagaOperatorRequested').map((e) => e.data)).toEqual([
          { action: 'retry', actor: 'ops', reason: 'the warehouse is back' },
          { action: 'retry', actor: 'ops', reason: 'the warehouse is back' },
          { action: 'abort', actor: 'ada', reason: 'cancelled by the customer' },
          { action: 'abort', actor: 'ops', reason: 'twice' },
        ]);
        expect(events.filter((e) => e.type === 'SagaAborted')).toHaveLength(1);
        expect((await cli('sagas', 'skip', 'stubborn', 'nobody', '--reason', 'x')).code).toBe(1);

        // Without a running application the request stays pending, and says so.
        await sagas.stop();
        await store.append('begin-q', [{ type: 'Begun', data: { id: 'q' } }]);
        await sagas.handle((await store.readStream('begin-q')).events[0]!);
        const pending = await cli('sagas', 'abort', 'stubborn', 'q', '--reason', 'x', '--wait', '300ms');
        expect(pending.code).toBe(4);
        expect(pending.out).toContain('no runner applied it within 300 ms');
      } finally {
        await sagas.stop();
        await store.close();
      }
    });
  });
}

const dir = tempDir('factum-sagas-cli-');
describeCli('SQLite', false, async () => {
  const file = join(dir, 'shop.db');
  return { store: createSqliteStore(file), url: `sqlite:${file}` };
});

const postgres = await probePostgres();
const { pool, dropLater } = testPool();
const nextSchema = schemaNamer('factum_sagas_cli');
describeCli('PostgreSQL', !postgres.available, async () => {
  const schema = nextSchema();
  dropLater(schema);
  return {
    store: await createPostgresStore({ pool, schema, migrate: true }),
    url: `${services.postgres}?schema=${schema}`,
  };
});
