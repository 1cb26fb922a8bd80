import { ErrorCodes, StoreUnavailableError, ValidationError } from 'factum';
import {
  decodePosition,
  encodePosition,
  MAX_EVENTS_PER_TRANSACTION,
  MAX_TRANSACTION_ID,
} from 'factum/postgres';
import { describe, expect, it } from 'vitest';
import { prepareAppend } from '../../../src/core/validation.js';
import { AppendBatcher, type AppendRunner } from '../../../src/stores/postgres/append-batcher.js';
import { translate } from '../../../src/stores/postgres/errors.js';
import { schemaNames } from '../../../src/stores/postgres/schema.js';
import { sleep } from '../../support/helpers.js';

describe('PostgreSQL positions', () => {
  it('order by transaction id first, then by sequence, and decode back', () => {
    const a = encodePosition(1000n, MAX_EVENTS_PER_TRANSACTION);
    const b = encodePosition(1001n, 1);
    expect(b).toBeGreaterThan(a);
    expect(encodePosition(1000n, 2)).toBeGreaterThan(encodePosition(1000n, 1));
    expect(decodePosition(a)).toEqual({ transactionId: 1000n, sequence: MAX_EVENTS_PER_TRANSACTION });
    expect(decodePosition(encodePosition(MAX_TRANSACTION_ID, 7))).toEqual({
      transactionId: MAX_TRANSACTION_ID,
      sequence: 7,
    });
    expect(encodePosition(MAX_TRANSACTION_ID, MAX_EVENTS_PER_TRANSACTION)).toBeLessThanOrEqual(
      2n ** 63n - 1n,
    );
  });

  it('refuse what does not fit in a signed 64-bit position', () => {
    expect(() => encodePosition(MAX_TRANSACTION_ID + 1n, 1)).toThrow(ValidationError);
    expect(() => encodePosition(1n, 0)).toThrow(ValidationError);
    expect(() => encodePosition(1n, MAX_EVENTS_PER_TRANSACTION + 1)).toThrow(ValidationError);
    expect(() => decodePosition(-1n)).toThrow(ValidationError);
  });
});

describe('PostgreSQL schema names', () => {
  it('derive quoted identifiers from a validated name', () => {
    expect(schemaNames('billing_2')).toMatchObject({
      quoted: '"billing_2"',
      events: '"billing_2".factum_events',
      channel: 'factum_billing_2',
    });
  });

  it('refuse anything but lower-case letters, digits and underscores', () => {
    for (const bad of ['', 'Billing', 'a b', 'a"b', '9a', 'pg_catalog', 'x'.repeat(49), null]) {
      expect(() => schemaNames(bad)).toThrow(ValidationError);
    }
  });
});

describe('PostgreSQL driver errors', () => {
  it('lost connections and restarts become a retriable StoreUnavailableError with the cause', () => {
    const cases = [
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })]),
    ];
    for (const cause of cases) {
      const error = translate(cause, 'append to order-1');
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(error).toMatchObject({ retriable: true, cause });
      expect(error.message).toContain('append to order-1');
    }
  });

  it('other driver errors pass through; data PostgreSQL cannot store becomes a ValidationError', () => {
    const syntax = Object.assign(new Error('syntax error'), { code: '42601' });
    expect(translate(syntax, 'x')).toBe(syntax);
    const encoding = Object.assign(new Error('character with byte sequence …'), { code: '22P05' });
    expect(translate(encoding, 'x')).toMatchObject({ code: ErrorCodes.INVALID_EVENT, cause: encoding });
  });
});

describe('AppendBatcher', () => {
  const append = (streamId: string, n = 1) =>
    prepareAppend(
      streamId,
      Array.from({ length: n }, () => ({ type: 'T', data: {} })),
      {},
    );

  function fakeRunner(options: { failBatchOnce?: unknown } = {}) {
    const log: string[][] = [];
    let version = new Map<string, number>();
    let failure = options.failBatchOnce;
    const write = (a: ReturnType<typeof append>) => {
      const v = (version.get(a.streamId) ?? 0) + a.events.length;
      version = new Map(version).set(a.streamId, v);
      return { version: v, position: BigInt(v) };
    };
    const runner: AppendRunner = {
      single: async (a) => {
        log.push([a.streamId]);
        await sleep(1);
        const w = write(a);
        return { nextExpectedVersion: w.version, position: w.position };
      },
      batch: async (appends) => {
        log.push(appends.map((a) => a.streamId));
        await sleep(1);
        if (failure !== undefined) {
          const f = failure;
          failure = undefined;
          throw f;
        }
        return appends.map((a) => ({ written: true as const, ...write(a) }));
      },
      replayable: (error) => (error as { code?: string }).code === '23505',
      written: () => {},
    };
    return { runner, log };
  }

  it('groups appends made together, shares them between free slots, and batches what queues behind', async () => {
    const { runner, log } = fakeRunner();
    const one = new AppendBatcher(runner, 1);
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((s) => one.submit(append(s))));
    expect(log).toEqual([['a', 'b', 'c', 'd']]);
    expect(results.map((r) => r.nextExpectedVersion)).toEqual([1, 1, 1, 1]);

    // While 'e' holds one of two slots, the five appends made next all go to the other one.
    log.length = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const two = new AppendBatcher(
      {
        ...runner,
        single: async (a) => {
          await gate;
          return runner.single(a);
        },
      },
      2,
    );
    const first = two.submit(append('e'));
    await new Promise((resolve) => setImmediate(resolve));
    const rest = ['f', 'g', 'h', 'i', 'j'].map((s) => two.submit(append(s)));
    await Promise.all(rest);
    release();
    await first;
    expect(log).toEqual([['f', 'g', 'h', 'i', 'j'], ['e']]);

    log.length = 0;
    const three = new AppendBatcher(runner, 3);
    await Promise.all(['k', 'l', 'm', 'n', 'o', 'p', 'q'].map((s) => three.submit(append(s))));
    expect(log).toEqual([
      ['k', 'l', 'm'],
      ['n', 'o'],
      ['p', 'q'],
    ]);
  });

  it('never puts two appends to one stream in a batch or in flight together, and keeps their order', async () => {
    const { runner, log } = fakeRunner();
    const batcher = new AppendBatcher(runner, 2);
    const results = await Promise.all(
      ['a', 'a', 'b', 'a', 'c'].map((s, i) => batcher.submit(append(s, i + 1))),
    );
    for (const batch of log) expect(new Set(batch).size).toBe(batch.length);
    expect(log.flat().filter((s) => s === 'a')).toHaveLength(3);
    // Stream a got 1, then 2, then 4 events, in submission order.
    expect([results[0], results[1], results[3]].map((r) => r!.nextExpectedVersion)).toEqual([1, 3, 7]);
  });

  it('replays a batch append by append after a unique violation, and rejects all on other errors', async () => {
    const violation = Object.assign(new Error('duplicate key'), { code: '23505' });
    const first = fakeRunner({ failBatchOnce: violation });
    const batcher = new AppendBatcher(first.runner, 1);
    const ok = await Promise.all(['a', 'b', 'c'].map((s) => batcher.submit(append(s))));
    expect(ok).toHaveLength(3);
    expect(first.log).toEqual([['a', 'b', 'c'], ['a'], ['b'], ['c']]);

    const down = new StoreUnavailableError('down');
    const second = fakeRunner({ failBatchOnce: down });
    const other = new AppendBatcher(second.runner, 1);
    const settled = await Promise.allSettled(['a', 'b', 'c'].map((s) => other.submit(append(s))));
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((settled[1] as PromiseRejectedResult).reason).toBe(down);
  });
});
