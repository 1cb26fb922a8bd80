import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EventStore } from 'factum';
import { createPostgresStore } from 'factum/postgres';
import { createSagas, defineSaga, type Sagas } from 'factum/sagas';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { fulfilmentServices, orderFulfilment } from '../../examples/sagas/order-fulfilment.js';
import { runCli } from '../../src/cli/program.js';
import { waitUntil } from '../support/helpers.js';
import { probePostgres, schemaNamer, testPool } from '../support/postgres.js';
import { services } from '../support/services.js';
import { tempDir } from '../support/temp.js';

const root = new URL('../../', import.meta.url).pathname;

/** Runs the `factum` program in this process (so the running sagas keep working meanwhile). */
async function factum(args: string[], env: Record<string, string> = { USER: 'ops' }) {
  let out = '';
  let err = '';
  const io = { cwd: root, out: (t: string) => (out += t), err: (t: string) => (err += t), env };
  const code = await runCli(args, io);
  return { code, out, err };
}

/** Runs the `factum` bin as a child process, as an operator does. */
async function factumBin(args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: root, env: { ...process.env, USER: 'ops' } },
    );
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout, err: e.stderr };
  }
}

/** A saga whose compensation is refused: it parks (compensation-failed) after one attempt. */
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
      awaits: { success: ['Paid'], failure: ['Declined'], timeout: '5m' },
    },
  ],
});

/** A saga whose action throws: it parks (action-threw) before sending anything. */
const throwing = defineSaga({
  name: 'throwing',
  version: 1,
  startedBy: ['Requested'],
  correlate: (e) => (e.data as { id?: string }).id,
  steps: [
    {
      name: 'route',
      action: () => {
        throw new Error('no warehouse serves region eu-9');
      },
      awaits: { success: ['Routed'] },
      compensate: () => ({ type: 'Unroute', data: {} }),
    },
  ],
});

const statusOf = async (sagas: Sagas, name: string, id: string) => (await sagas.get(name, id))?.status;

function describeCli(name: string, skip: boolean, open: () => Promise<{ store: EventStore; url: string }>) {
  describe.skipIf(skip)(`factum sagas (${name})`, () => {
    it('lists and shows instances, and has operator actions applied by the running application', async () => {
      const { store, url } = await open();
      const sagas = await createSagas(store, {
        sagas: [orderFulfilment, stubborn, throwing],
        reactors: fulfilmentServices(store, { declineAbove: 500 }),
        lease: { strategy: 'row', ttlMs: 2_000, renewEveryMs: 200, acquireEveryMs: 50 },
      });
      sagas.start();
      const cli = (...args: string[]) => factum([...args, '--store', url]);
      try {
        await store.append('order-1', [
          { type: 'OrderPlaced', data: { orderId: '1', total: 10, items: [] } },
        ]);
        await store.append('order-2', [
          { type: 'OrderPlaced', data: { orderId: '2', total: 900, items: [] } },
        ]);
        // p: reserved, payment declined, the release refused: parked while compensating.
        await store.append('begin-p', [{ type: 'Begun', data: { id: 'p' } }]);
        await store.append('svc-p', [{ type: 'Reserved', data: { id: 'p' } }]);
        await store.append('svc-p', [{ type: 'Declined', data: { id: 'p' } }]);
        await store.append('svc-p', [{ type: 'ReleaseFailed', data: { id: 'p' } }]);
        // r: reserved, waiting for the payment.
        await store.append('begin-r', [{ type: 'Begun', data: { id: 'r' } }]);
        await store.append('svc-r', [{ type: 'Reserved', data: { id: 'r' } }]);
        await store.append('request-t', [{ type: 'Requested', data: { id: 't' } }]);
        await waitUntil(async () => (await sagas.status({ state: 'parked' })).length === 2, 10_000);
        await waitUntil(
          async () =>
            (await sagas.status({ name: 'order_fulfilment' })).filter((s) => s.status !== 'running')
              .length === 2 &&
            (await sagas.status({ name: 'stubborn', state: 'running' }))[0]?.step === 'pay',
          10_000,
        );

        // ---- list ----
        const list = await cli('sagas', 'list');
        expect(list.code).toBe(0);
        expect(list.out.split('\n')[0]).toMatch(
          /^SAGA\s+CORRELATION\s+STATUS\s+STEP\s+PHASE\/ATTEMPT\s+UPDATED\s+PARKED$/,
        );
        expect(list.out).toMatch(/^order_fulfilment\s+1\s+completed\s+-\s+-\s+\d{4}-\S+Z$/m);
        expect(list.out).toMatch(/^order_fulfilment\s+2\s+compensated\s+-\s+-\s+\S+$/m);
        expect(list.out).toMatch(
          /^stubborn\s+p\s+parked\s+reserve\s+compensation 1\s+\S+\s+compensation-failed: compensation of reserve failed/m,
        );
        expect(list.out).toMatch(/^stubborn\s+r\s+running\s+pay\s+action 1\s+\S+$/m);
        expect(list.out).toMatch(
          /^throwing\s+t\s+parked\s+route\s+action 1\s+\S+\s+action-threw: step route threw: no warehouse serves region eu-9$/m,
        );
        const ids = (out: string) =>
          out
            .trim()
            .split('\n')
            .map((l) => `${JSON.parse(l).saga}/${JSON.parse(l).correlationId}`)
            .sort();
        expect(ids((await cli('sagas', 'list', '--state', 'parked', '--json')).out)).toEqual([
          'stubborn/p',
          'throwing/t',
        ]);
        expect(ids((await cli('sagas', 'list', '--name', 'order_fulfilment', '--json')).out)).toEqual([
          'order_fulfilment/1',
          'order_fulfilment/2',
        ]);
        expect(ids((await cli('sagas', 'list', '--correlation', 'r', '--json')).out)).toEqual(['stubborn/r']);
        const one = await cli('sagas', 'list', '--limit', '1', '--json');
        expect(one.out.trim().split('\n')).toHaveLength(1);
        expect(one.err).toContain('the 1 most recently changed; there may be more');
        expect(await cli('sagas', 'list', '--name', 'nothing')).toMatchObject({
          code: 0,
          out: 'No saga instances match.\n',
        });
        const badState = await cli('sagas', 'list', '--state', 'stuck');
        expect(badState.code).toBe(2);
        expect(badState.err).toContain(
          "--state must be one of running, compensating, parked, completed, compensated, aborted, got 'stuck'",
        );

        // ---- show ----
        const show = await cli('sagas', 'show', 'order_fulfilment', '2');
        expect(show.code).toBe(0);
        expect(show.out).toMatch(
          /^Saga order_fulfilment 2\n {2}status: +compensated\n {2}definition: +version 1\n/,
        );
        expect(show.out).toMatch(/^ {2}failure: +payment failed \(PaymentFailed\)$/m);
        expect(show.out).toMatch(
          /^3\s+\S+Z\s+→ ChargePayment \(command\)\s+\{"orderId":"2","amount":900\}$/m,
        );
        expect(show.out).toMatch(
          /^6\s+\S+\s+SagaStepFailed\s+step=payment attempt=1 reason=failed final=true reply=PaymentFailed$/m,
        );
        expect(show.out).toMatch(/^8\s+\S+\s+→ CancelOrder \(command\)/m);
        expect(show.out).toMatch(/^9\s+\S+\s+SagaCompensated$/m);
        const running = await cli('sagas', 'show', 'stubborn', 'r');
        expect(running.out).toMatch(/^ {2}pending: +pay \(action, attempt 1, waiting for its reply\)$/m);
        expect(running.out).toMatch(/^ {2}succeeded: +reserve$/m);
        expect(running.out).toMatch(/^ {4}reply:action:1:1 due \S+Z \(in (5m|4m5\ds)\)$/m);
        const json = JSON.parse((await cli('sagas', 'show', 'stubborn', 'p', '--json')).out);
        expect(json).toMatchObject({ status: 'parked', step: 'reserve', phase: 'compensation' });
        expect(json.parked).toMatchObject({ reason: 'compensation-failed', from: 'compensating' });
        const missing = await cli('sagas', 'show', 'order_fulfilment', 'nope');
        expect(missing.code).toBe(1);
        expect(missing.err).toContain(
          "factum: no instance of saga order_fulfilment for correlation 'nope' in",
        );

        // ---- actions ----
        const noReason = await cli('sagas', 'retry', 'stubborn', 'p');
        expect(noReason.code).toBe(2);
        expect(noReason.err).toBe(
          'factum: sagas retry needs --reason "<why>": it is recorded on the saga\'s stream\n',
        );
        expect((await cli('sagas', 'retry', 'stubborn', 'p', '--reason', 'x', '--wait', '5')).code).toBe(2);
        const unknown = await cli('sagas', 'skip', 'stubborn', 'nobody', '--reason', 'x');
        expect(unknown.code).toBe(1);
        expect(unknown.err).toContain("no instance of saga stubborn for correlation 'nobody'");

        const retry = await cli('sagas', 'retry', 'stubborn', 'p', '--reason', 'the warehouse is back');
        expect(retry).toMatchObject({ code: 0, out: 'retry stubborn p: applied\n' });
        expect(await cli('sagas', 'retry', 'stubborn', 'p', '--reason', 'once more')).toMatchObject({
          code: 3,
          out: 'retry stubborn p: not applied: only a parked saga is retried\n',
        });
        // The release was sent again (attempt 2) and is pending; skipping it finishes compensating.
        const skip = await cli(
          'sagas',
          'skip',
          'stubborn',
          'p',
          '--reason',
          'released by hand',
          '--actor',
          'ada',
        );
        expect(skip).toMatchObject({ code: 0, out: 'skip stubborn p: applied\n' });
        expect(await statusOf(sagas, 'stubborn', 'p')).toBe('compensated');
        const p = (await store.readStream('saga_stubborn-p')).events;
        expect(p.filter((e) => e.type === 'SagaOperatorRequested').map((e) => e.data)).toEqual([
          { action: 'retry', actor: 'ops', reason: 'the warehouse is back' },
          { action: 'retry', actor: 'ops', reason: 'once more' },
          { action: 'skip', actor: 'ada', reason: 'released by hand' },
        ]);
        expect(
          p
            .filter((e) => e.type === 'SagaOperatorActionRecorded')
            .map((e) => (e.data as { applied: boolean }).applied),
        ).toEqual([true, false, true]);
        expect(p.filter((e) => e.type === 'Release')).toHaveLength(2);

        expect(
          await cli('sagas', 'compensate', 'stubborn', 'r', '--reason', 'customer cancelled'),
        ).toMatchObject({
          code: 0,
          out: 'compensate stubborn r: applied\n',
        });
        expect(await statusOf(sagas, 'stubborn', 'r')).toBe('compensating');
        expect(await cli('sagas', 'abort', 'stubborn', 'r', '--reason', 'refund by hand')).toMatchObject({
          code: 0,
          out: 'abort stubborn r: applied\n',
        });
        const before = (await store.readStream('saga_stubborn-r')).events;
        expect(await cli('sagas', 'abort', 'stubborn', 'r', '--reason', 'twice')).toMatchObject({
          code: 3,
          out: 'abort stubborn r: not applied: the saga is aborted\n',
        });
        const after = (await store.readStream('saga_stubborn-r')).events;
        expect(after.slice(before.length).map((e) => e.type)).toEqual([
          'SagaOperatorRequested',
          'SagaOperatorActionRecorded',
        ]);
        expect(after.filter((e) => e.type === 'SagaAborted')).toHaveLength(1);
        const aborted = await cli('sagas', 'show', 'stubborn', 'r');
        expect(aborted.out).toMatch(/^ {2}aborted: +by ops: refund by hand$/m);
        expect(aborted.out).toMatch(
          /SagaOperatorActionRecorded\s+action=abort applied=false note="the saga is aborted"$/m,
        );

        // Through the bin, in a child process: the throwing saga's parked step is skipped.
        const bin = await factumBin([
          'sagas',
          'skip',
          'throwing',
          't',
          '--reason',
          'routed by hand',
          '--store',
          url,
        ]);
        expect(bin).toMatchObject({ code: 0, out: 'skip throwing t: applied\n' });
        expect(await statusOf(sagas, 'throwing', 't')).toBe('completed');
        const binAgain = await factumBin([
          'sagas',
          'abort',
          'throwing',
          't',
          '--reason',
          'late',
          '--store',
          url,
        ]);
        expect(binAgain).toMatchObject({
          code: 3,
          out: 'abort throwing t: not applied: the saga is completed\n',
        });
        await waitUntil(async () => (await sagas.status({ state: 'aborted' })).length === 1, 5_000);
        expect(ids((await cli('sagas', 'list', '--state', 'aborted', '--json')).out)).toEqual(['stubborn/r']);

        // Without a running application the request stays pending, and the command says so.
        await sagas.stop();
        await store.append('begin-q', [{ type: 'Begun', data: { id: 'q' } }]);
        await sagas.handle((await store.readStream('begin-q')).events[0]!);
        const pending = await cli('sagas', 'abort', 'stubborn', 'q', '--reason', 'x', '--wait', '300ms');
        expect(pending.code).toBe(4);
        expect(pending.out).toMatch(
          /^abort stubborn q: requested \(request \S+\); no runner applied it within 300ms \(is the saga's application running\?\)\n$/,
        );
        const noWait = await cli('sagas', 'compensate', 'stubborn', 'q', '--reason', 'x', '--wait', '0');
        expect(noWait.code).toBe(4);
        expect(noWait.out).toContain('not waiting for the running application to apply it');
        const q = (await store.readStream('saga_stubborn-q')).events;
        expect(q.filter((e) => e.type === 'SagaOperatorRequested')).toHaveLength(2);
        expect(q.filter((e) => e.type === 'SagaOperatorActionRecorded')).toHaveLength(0);
      } finally {
        await sagas.stop();
        await store.close();
      }
    });

    it('says when the store holds no saga index, and exits 1 when the store cannot be read', async () => {
      const { store, url } = await open();
      await store.append('other-1', [{ type: 'Happened', data: {} }]);
      await store.close();
      const empty = await factum(['sagas', 'list', '--store', url]);
      expect(empty.code).toBe(0);
      expect(empty.out).toMatch(/^No saga index in .+: it is created and filled by a running application/);
      const json = await factum(['sagas', 'list', '--json'], { FACTUM_STORE_URL: url });
      expect(json).toMatchObject({ code: 0, out: '' });
      expect(json.err).toContain('No saga index');
    });
  });
}

const dir = tempDir('factum-sagas-cli-');
let files = 0;
describeCli('SQLite', false, async () => {
  const file = join(dir, `shop-${++files}.db`);
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

describe.skipIf(!postgres.available)('factum sagas: a store that cannot be read', () => {
  it('exits 1 with the reason when PostgreSQL is not migrated or not there', async () => {
    const unmigrated = await factum([
      'sagas',
      'list',
      '--store',
      `${services.postgres}?schema=${nextSchema()}`,
    ]);
    expect(unmigrated.code).toBe(1);
    expect(unmigrated.err).toContain('run `factum migrate`');
    const down = await factum([
      'sagas',
      'show',
      'stubborn',
      'p',
      '--store',
      'postgres://postgres@127.0.0.1:1/test',
    ]);
    expect(down.code).toBe(1);
    expect(down.err).toContain('ECONNREFUSED');
  });
});
