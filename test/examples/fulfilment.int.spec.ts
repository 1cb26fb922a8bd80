/**
 * The main job end to end: 500 orders with 10% declines and stock-outs through the four services,
 * each on its own store, on the SQLite transport (both styles), RabbitMQ and Kafka; every invariant
 * holds at the end and no order is charged or refunded twice.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqplib from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_GROUPS } from '../../examples/fulfilment/service.js';
import { destroyNamespace, uniqueName } from '../support/brokers.js';
import { probeKafka } from '../support/kafka.js';
import { probeService, services } from '../support/services.js';
import { tempDir } from '../support/temp.js';
import { paymentsPerOrder, startTestSystem, waitForAllEnded } from './fulfilment-support.js';

const dir = tempDir('factum-fulfilment-');
const root = new URL('../../', import.meta.url).pathname;

const rabbit = await probeService('RabbitMQ', services.amqp, async () => {
  await (await amqplib.connect(services.amqp)).close();
});
const kafka = await probeKafka();
const namespaces: { kind: 'rabbitmq' | 'kafka'; name: string }[] = [];
afterAll(async () => {
  for (const { kind, name } of namespaces) await destroyNamespace(kind, name, ALL_GROUPS).catch(() => {});
});

interface Case {
  transport: string;
  mode: 'orchestrated' | 'choreographed';
  available: boolean;
  brokerUrl: (run: string) => string;
}

const cases: Case[] = [
  {
    transport: 'SQLite transport',
    mode: 'orchestrated',
    available: true,
    brokerUrl: (run) => `sqlite:${join(dir, run, 'bus.db')}`,
  },
  {
    transport: 'SQLite transport',
    mode: 'choreographed',
    available: true,
    brokerUrl: (run) => `sqlite:${join(dir, run, 'bus.db')}`,
  },
  {
    transport: 'RabbitMQ',
    mode: 'orchestrated',
    available: rabbit.available,
    brokerUrl: (run) => {
      namespaces.push({ kind: 'rabbitmq', name: run });
      return `${services.amqp}?exchange=${run}`;
    },
  },
  {
    transport: 'Kafka',
    mode: 'orchestrated',
    available: kafka.available,
    brokerUrl: (run) => {
      namespaces.push({ kind: 'kafka', name: run });
      return `kafka://${services.kafka}?topic=${run}&groupIdPrefix=${run}.`;
    },
  },
];

describe.each(cases)('order fulfilment ($mode, $transport)', ({ mode, available, brokerUrl }) => {
  it.skipIf(!available)(
    'runs 500 orders with 10% declines and stock-outs to the end, every invariant holding, each order charged and refunded at most once',
    async () => {
      const run = uniqueName(`f${mode.slice(0, 4)}`);
      const system = await startTestSystem(join(dir, run), brokerUrl(run), {
        mode,
        declineRate: 0.1,
        carrierDelayRate: 0.05,
        // Little stock and little restocking: desks (and more) run out, so some orders find none.
        stockScale: 0.2,
        restockScale: 0.2,
        restockEveryMs: 5_000,
      });
      const board = system.board!;
      try {
        expect(await system.generate({ perSecond: 200, count: 500 })).toBe(500);
        await waitForAllEnded(system, 500, 120_000);
        const checks = await board.checks();
        for (const check of checks) expect(check.ok, `${check.name}: ${check.detail}`).toBe(true);
        expect(checks.length).toBe(mode === 'orchestrated' ? 6 : 5);
        const t = (await board.totals())!;
        expect(t.placed).toBe(500);
        expect(t.shipped + t.cancelled).toBe(500);
        // The failures happened: declines (no charge) and stock-outs (charged, then refunded).
        expect(t.cancelled).toBeGreaterThan(50);
        expect(t.stockShort).toBeGreaterThan(0);
        expect(t.refunded).toBeGreaterThan(0);
        expect(t.cancelledRefunded).toBe(t.cancelledCharged);
        if (mode === 'orchestrated') {
          // Late carriers timed the shipping step out; it was sent again and the order still shipped.
          const timedOut = await system.stores.orders.readAll({ types: ['SagaTimeoutFired'], limit: 1_000 });
          expect(timedOut.events.length).toBeGreaterThan(0);
        }
        // Counted in the payments service's own store, not the board's copy.
        const perOrder = await paymentsPerOrder(system.stores.payments);
        expect(perOrder.size).toBeGreaterThan(400);
        for (const [stream, counts] of perOrder) {
          expect(counts.charged, stream).toBeLessThanOrEqual(1);
          expect(counts.refunded, stream).toBeLessThanOrEqual(1);
        }
      } finally {
        await system.close();
      }
    },
    150_000,
  );
});

describe('npm start', () => {
  it('runs the system with its dashboard, stops on its own after --orders, and carries on at the next start', async () => {
    const data = join(dir, 'main');
    const run = async () => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'examples/fulfilment/main.ts', '--orders', '60', '--rate', '100', '--port', '0'],
        {
          cwd: root,
          env: { ...process.env, FACTUM_STORE_URL: `sqlite:${data}`, FACTUM_TOKENS: '' },
          timeout: 60_000,
        },
      );
      return stdout;
    };
    const first = await run();
    expect(first).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+/);
    expect(first).toMatch(/sign in with this admin token/);
    expect(first).toContain(`broker sqlite:${data}/bus.db`);
    expect(first).toMatch(/ok {2}every order ends shipped or cancelled within its SLA: 60 placed/);
    expect(first).not.toContain('BROKEN');
    const second = await run();
    expect(second).toMatch(/ok {2}every order ends shipped or cancelled within its SLA: 120 placed/);
    expect(second).not.toContain('BROKEN');
  }, 120_000);

  it('refuses an unknown service, a PostgreSQL store without a broker and malformed URLs, saying what it takes', async () => {
    const fail = async (args: string[], env: Record<string, string> = {}) => {
      try {
        await promisify(execFile)(
          process.execPath,
          ['--import', 'tsx', 'examples/fulfilment/main.ts', ...args],
          {
            cwd: root,
            env: { ...process.env, ...env },
            timeout: 30_000,
          },
        );
      } catch (error) {
        return error as { code: number; stderr: string };
      }
      throw new Error('it started');
    };
    const unknown = await fail(['--service', 'billing']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown service: billing');
    const noBroker = await fail([], { FACTUM_STORE_URL: services.postgres, FACTUM_BROKER_URL: '' });
    expect(noBroker.code).toBe(2);
    expect(noBroker.stderr).toContain('FACTUM_BROKER_URL is needed');
    // Malformed URLs: one line saying what is accepted, no stack, and nothing written.
    const badStore = await fail([], {
      FACTUM_STORE_URL: 'mysql://db/shop',
      FACTUM_BROKER_URL: 'sqlite:x.db',
    });
    expect(badStore.code).toBe(2);
    expect(badStore.stderr.trim()).toBe(
      'FACTUM_STORE_URL must be sqlite:<directory> or postgres://…, got mysql://db/shop',
    );
    const badBroker = await fail([], { FACTUM_STORE_URL: services.postgres, FACTUM_BROKER_URL: 'mqtt://x' });
    expect(badBroker.code).toBe(2);
    expect(badBroker.stderr).toContain('unknown scheme mqtt:');
    expect(badBroker.stderr).not.toContain('    at ');
  }, 60_000);
});
