import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../core/envelope.js';
import { InvalidMessageError } from '../core/errors.js';
import { newEventId } from '../core/ids.js';
import type { Broker } from '../messaging/broker.js';
import { consumeAll, interleaved, spawnWorker, total, waitFor } from './broker-helpers.js';
import { range, sleep } from './helpers.js';

export interface BrokerContractSetup {
  /**
   * A broker whose exchange / stream / prefix is `namespace`, unique per test. May be called several
   * times with the same namespace (competing consumers on separate connections).
   */
  create(namespace: string): Promise<Broker>;
  /** Removes what `create` made for the namespace (exchanges, queues, streams). */
  destroy?(namespace: string): Promise<void>;
  /**
   * Path of a module exporting `createBroker(namespace): Promise<Broker>` built like `create`, loaded in
   * a child process that the crash test kills with SIGKILL. A .ts module runs through tsx.
   */
  workerModule: string;
  /** Publishes a message that is not a Factum envelope under `<category>.<type>` (poison-message test). */
  publishForeign?(broker: Broker, category: string, type: string, body: string): Promise<void>;
  /**
   * The adapter keeps each stream's order across competing consumers of one group (partitioned logs such
   * as Kafka); must match `broker.capabilities.orderedCompetingConsumers`. Brokers without it do not
   * register that test.
   */
  orderedCompetingConsumers?: boolean;
  /** How long to wait for a delivery-dependent condition (ms, default 15,000). */
  timeoutMs?: number;
}

/**
 * The broker conformance suite: every adapter must pass it against the real broker. It proves per-key
 * order, envelope round-trips, ack-after-success with retries, dead-lettering after N failures while
 * the rest keep flowing, poison messages, competing consumers, fan-out, redelivery of unacknowledged
 * messages, lag, and at-least-once delivery across a consumer process killed with SIGKILL.
 *
 * ```ts
 * describeBrokerContract('rabbitmq', {
 *   create: (ns) => createRabbitMqBroker({ exchange: ns }),
 *   workerModule: fileURLToPath(new URL('./rabbitmq-worker.ts', import.meta.url)),
 * });
 * ```
 */
export { interleaved, waitFor };

export function describeBrokerContract(name: string, setup: BrokerContractSetup): void {
  const timeoutMs = setup.timeoutMs ?? 15_000;

  describe(`Broker contract: ${name}`, () => {
    const opened: Broker[] = [];
    const namespaces: string[] = [];
    let n = 0;

    const fresh = async () => {
      const namespace = `fc${Date.now().toString(36)}${process.pid.toString(36)}x${++n}`;
      namespaces.push(namespace);
      const broker = await open(namespace);
      return { namespace, broker };
    };
    const open = async (namespace: string) => {
      const broker = await setup.create(namespace);
      opened.push(broker);
      return broker;
    };

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((b) => b.close().catch(() => {})));
      for (const ns of namespaces.splice(0)) await setup.destroy?.(ns).catch(() => {});
    });

    const until = (what: string, check: () => boolean | Promise<boolean>) => waitFor(what, check, timeoutMs);

    it('delivers the envelope intact: ids, versions, bigint position, timestamps, metadata, data', async () => {
      const { broker } = await fresh();
      await broker.declareGroup({ group: 'g' });
      const event: StoredEvent = {
        id: newEventId(),
        type: 'OrderPlaced',
        streamId: 'order-42',
        category: 'order',
        version: 7,
        position: 2n ** 62n + 5n,
        schemaVersion: 3,
        timestamp: new Date('2026-03-14T10:00:00.123Z'),
        data: {
          orderId: 42,
          total: 4999,
          items: [{ sku: 'a', qty: 2 }],
          note: null,
          text: 'naïve ☕ "quoted" %20',
        },
        metadata: {
          correlationId: 'corr-1',
          causationId: 'cause-1',
          userId: 'alice',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          tracestate: 'vendor=opaque,other=1',
          tenant: 'acme',
          nested: { a: [1, 2] },
        },
      };
      await broker.publish([event]);
      const got: StoredEvent[] = [];
      await broker.consume({ group: 'g' }, (e) => {
        got.push(e);
      });
      await until('the event arrives', () => got.length === 1);
      expect(got[0]).toEqual(event);
      expect(typeof got[0]!.position).toBe('bigint');
      expect(got[0]!.timestamp).toBeInstanceOf(Date);
    });

    it('keeps per-stream order for a group (ordering key = streamId)', async () => {
      const { broker } = await fresh();
      await broker.declareGroup({ group: 'g' });
      const events = interleaved(['order-1', 'order-2', 'order-3', 'order-4'], 30);
      for (let i = 0; i < events.length; i += 25) await broker.publish(events.slice(i, i + 25));
      const seen = new Map<string, number[]>();
      await broker.consume({ group: 'g', prefetch: 20 }, (e) => {
        seen.set(e.streamId, [...(seen.get(e.streamId) ?? []), e.version]);
      });
      await until('every event arrives', () => total(seen) === events.length);
      for (const versions of seen.values()) expect(versions).toEqual(range(1, 30));
    });

    it('acknowledges only after the handler succeeded: a failing attempt is retried with backoff', async () => {
      const { broker } = await fresh();
      const events = interleaved(['order-1', 'order-2'], 10);
      const flaky = events[4]!;
      const attempts: number[] = [];
      const done = new Set<string>();
      await consumeAll(broker, { group: 'g', maxDeliveries: 5, retry: { initialDelayMs: 20 } }, (e, ctx) => {
        if (e.id === flaky.id) {
          attempts.push(ctx.attempt);
          if (ctx.attempt < 3) throw new Error(`transient failure ${ctx.attempt}`);
        }
        done.add(e.id);
      });
      await broker.publish(events);
      await until('every event is handled', () => done.size === events.length);
      expect(attempts).toEqual([1, 2, 3]);
      await until('the group is drained', async () => (await broker.lag('g')).lag === 0);
      expect(await broker.deadLetters('g')).toEqual([]);
    });

    it('dead-letters a message after maxDeliveries failures, with the error, while the rest keep flowing', async () => {
      const { broker } = await fresh();
      const events = interleaved(['order-1', 'order-2', 'order-3'], 10);
      const poison = events[7]!;
      const handled = new Set<string>();
      let poisonAttempts = 0;
      await consumeAll(broker, { group: 'g', maxDeliveries: 3, retry: { initialDelayMs: 10 } }, (e) => {
        if (e.id === poison.id) {
          poisonAttempts++;
          throw new Error(`cannot handle ${e.id}`);
        }
        handled.add(e.id);
      });
      await broker.publish(events);
      await until('all other events are handled', () => handled.size === events.length - 1);
      let letters = await broker.deadLetters('g');
      await until('the dead letter is stored', async () => {
        letters = await broker.deadLetters('g');
        return letters.length === 1;
      });
      expect(poisonAttempts).toBe(3);
      const letter = letters[0]!;
      expect(letter.reason).toBe('handler-failed');
      expect(letter.error).toContain(`cannot handle ${poison.id}`);
      expect(letter.attempts).toBe(3);
      expect(letter.group).toBe('g');
      expect(letter.event).toEqual(poison);
      await until('the group is drained', async () => (await broker.lag('g')).lag === 0);
    });

    it('dead-letters an event that fails validation at once, without calling the handler', async () => {
      const { broker } = await fresh();
      const events = interleaved(['order-1'], 5);
      const bad = events[2]!;
      const handled: string[] = [];
      await consumeAll(
        broker,
        {
          group: 'g',
          validate: (e) => {
            if (e.id === bad.id) throw new InvalidMessageError(`event ${e.id} fails schema OrderPlaced v1`);
          },
        },
        (e) => {
          handled.push(e.id);
        },
      );
      await broker.publish(events);
      await until('the valid events are handled', () => handled.length === 4);
      let letters = await broker.deadLetters('g');
      await until('the invalid event is dead-lettered', async () => {
        letters = await broker.deadLetters('g');
        return letters.length === 1;
      });
      expect(handled).not.toContain(bad.id);
      expect(letters[0]!.reason).toBe('invalid-message');
      expect(letters[0]!.error).toContain('fails schema');
      expect(letters[0]!.attempts).toBe(0);
    });

    it.skipIf(setup.publishForeign === undefined)(
      'dead-letters a message that is not a Factum envelope with a reason, never blocking the queue',
      async () => {
        const { broker } = await fresh();
        const handled: string[] = [];
        await consumeAll(broker, { group: 'g' }, (e) => {
          handled.push(e.id);
        });
        const [before, after] = interleaved(['order-1'], 2) as [StoredEvent, StoredEvent];
        await broker.publish([before]);
        await setup.publishForeign!(broker, 'order', 'OrderPlaced', '{"not":"an envelope"}');
        await broker.publish([after]);
        await until('the events around the foreign message are handled', () => handled.length === 2);
        let letters = await broker.deadLetters('g');
        await until('the foreign message is dead-lettered', async () => {
          letters = await broker.deadLetters('g');
          return letters.length === 1;
        });
        expect(letters[0]!.reason).toBe('invalid-message');
        expect(letters[0]!.error).toMatch(/CloudEvents|missing/);
        expect(letters[0]!.event).toBeUndefined();
        expect(letters[0]!.body).toBe('{"not":"an envelope"}');
      },
    );

    it('shares a group between competing consumers: each event is handled once, by one of them', async () => {
      const { namespace, broker } = await fresh();
      const other = await open(namespace);
      const byConsumer: [string[], string[]] = [[], []];
      const slow = () => sleep(2);
      await broker.declareGroup({ group: 'g' });
      await broker.consume({ group: 'g', prefetch: 10 }, async (e) => {
        byConsumer[0].push(e.id);
        await slow();
      });
      await other.consume({ group: 'g', prefetch: 10 }, async (e) => {
        byConsumer[1].push(e.id);
        await slow();
      });
      const events = interleaved(['order-1', 'order-2', 'order-3', 'order-4', 'order-5'], 40);
      for (let i = 0; i < events.length; i += 50) await broker.publish(events.slice(i, i + 50));
      await until(
        'every event is handled',
        () => byConsumer[0].length + byConsumer[1].length >= events.length,
      );
      await sleep(300);
      const all = [...byConsumer[0], ...byConsumer[1]];
      expect(all.length).toBe(events.length);
      expect(new Set(all).size).toBe(events.length);
      expect(byConsumer[0].length).toBeGreaterThan(0);
      expect(byConsumer[1].length).toBeGreaterThan(0);
    });

    it('fans out: two groups each receive every event', async () => {
      const { broker } = await fresh();
      const a: string[] = [];
      const b: string[] = [];
      await consumeAll(broker, { group: 'projection' }, (e) => {
        a.push(e.id);
      });
      await consumeAll(broker, { group: 'audit' }, (e) => {
        b.push(e.id);
      });
      const events = interleaved(['order-1', 'order-2'], 25);
      await broker.publish(events);
      await until(
        'both groups have everything',
        () => a.length === events.length && b.length === events.length,
      );
      expect(a.sort()).toEqual(events.map((e) => e.id).sort());
      expect(b.sort()).toEqual(events.map((e) => e.id).sort());
    });

    it('subscribes to a category with a wildcard: other categories are not delivered to the group', async () => {
      const { broker } = await fresh();
      const got: string[] = [];
      await consumeAll(broker, { group: 'orders', categories: ['order'] }, (e) => {
        got.push(e.streamId);
      });
      const orders = interleaved(['order-1', 'order-2'], 3);
      const payments = interleaved(['payment-1'], 3);
      await broker.publish([...payments, ...orders]);
      await until('the order events arrive', () => got.length === orders.length);
      await sleep(300);
      expect(got.every((s) => s.startsWith('order-'))).toBe(true);
      expect(got.length).toBe(orders.length);
    });

    it('redelivers messages a stopped consumer held without acknowledging them', async () => {
      const { namespace, broker } = await fresh();
      await broker.declareGroup({ group: 'g' });
      const events = interleaved(['order-1', 'order-2'], 15);
      await broker.publish(events);
      const first: string[] = [];
      const a = await broker.consume({ group: 'g', prefetch: 10 }, async (e) => {
        first.push(e.id);
        await sleep(50);
      });
      await until('the first consumer started', () => first.length >= 3);
      await a.stop();
      const second: string[] = [];
      const other = await open(namespace);
      await other.consume({ group: 'g', prefetch: 10 }, (e) => {
        second.push(e.id);
      });
      await until('the rest arrive', () => new Set([...first, ...second]).size === events.length);
      expect(first.length).toBeLessThan(events.length);
    });

    it('reports consumer lag per partition', async () => {
      const { broker } = await fresh();
      await broker.declareGroup({ group: 'g' });
      await broker.publish(interleaved(['order-1'], 12));
      await until('the lag shows 12 waiting', async () => (await broker.lag('g')).lag === 12);
      const lag = await broker.lag('g');
      expect(lag.group).toBe('g');
      expect(lag.partitions.length).toBeGreaterThan(0);
      expect(lag.partitions.reduce((s, p) => s + p.lag, 0)).toBe(12);
      await broker.consume({ group: 'g' }, () => {});
      await until('the lag drops to 0', async () => (await broker.lag('g')).lag === 0);
    });

    it('declares the ordering capability the setup says it has', async () => {
      const { broker } = await fresh();
      expect(broker.capabilities.orderedCompetingConsumers).toBe(setup.orderedCompetingConsumers === true);
    });

    // Only brokers with the capability promise this (the others document one consumer per group), so the
    // test exists only for them.
    const orderedCompeting: (name: string, fn: () => Promise<void>) => void =
      setup.orderedCompetingConsumers === true ? (name, fn) => it(name, fn) : () => {};
    orderedCompeting(
      'keeps per-stream order across competing consumers joining and leaving (partitioned brokers)',
      async () => {
        const { namespace, broker } = await fresh();
        expect(broker.capabilities.orderedCompetingConsumers).toBe(true);
        await broker.declareGroup({ group: 'g' });
        const seen: [string, number][] = [];
        const record = (e: StoredEvent) => {
          seen.push([e.streamId, e.version]);
        };
        await broker.consume({ group: 'g' }, record);
        const events = interleaved(['order-1', 'order-2', 'order-3', 'order-4', 'order-5', 'order-6'], 30);
        await broker.publish(events.slice(0, 60));
        const other = await open(namespace);
        const joined = await other.consume({ group: 'g' }, record);
        await broker.publish(events.slice(60, 120));
        await joined.stop();
        await broker.publish(events.slice(120));
        const firstSeen = () => new Set(seen.map(([s, v]) => `${s}:${v}`));
        await until('every event is handled', () => firstSeen().size === events.length);
        // After dropping redeliveries, each stream was handled in version order.
        const order = new Map<string, number[]>();
        const done = new Set<string>();
        for (const [s, v] of seen) {
          if (done.has(`${s}:${v}`)) continue;
          done.add(`${s}:${v}`);
          order.set(s, [...(order.get(s) ?? []), v]);
        }
        for (const versions of order.values()) expect(versions).toEqual(range(1, 30));
      },
    );

    it('delivers at least once across a consumer process killed with SIGKILL mid-batch', async () => {
      const { namespace, broker } = await fresh();
      await broker.declareGroup({ group: 'g' });
      const events = interleaved(['order-1', 'order-2', 'order-3'], 20);
      await broker.publish(events);
      const dir = mkdtempSync(join(tmpdir(), 'factum-broker-crash-'));
      const out = join(dir, 'handled.txt');
      try {
        const child = spawnWorker(setup.workerModule, [namespace, 'g', out, '7']);
        const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
        const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);
        await until('the child handled 7 events', () => lines().filter((l) => l !== 'ready').length >= 7);
        child.kill('SIGKILL');
        await exited;
        const beforeCrash = lines().filter((l) => l !== 'ready');
        const hung = beforeCrash.at(-1)!;
        const after: { id: string; deliveryCount: number }[] = [];
        await consumeAll(broker, { group: 'g' }, (e, ctx) => {
          after.push({ id: e.id, deliveryCount: ctx.deliveryCount });
        });
        const union = () => new Set([...beforeCrash, ...after.map((a) => a.id)]);
        await until(
          'every event is handled by one process or the other',
          () => union().size === events.length,
        );
        // The message in hand when the process died was never acknowledged: it comes again.
        const again = after.find((a) => a.id === hung);
        expect(again).toBeDefined();
        expect(again!.deliveryCount).toBeGreaterThanOrEqual(2);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
