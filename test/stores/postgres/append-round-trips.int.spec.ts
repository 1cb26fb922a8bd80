// White-box: how many statements an append costs the database, counted on the client. A refused
// append learns why (the stream's version, its ids already stored) from the append statement itself.
import { ConcurrencyError, newEventId } from 'factum';
import { createPostgresStore, type PostgresEventStore } from 'factum/postgres';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { probePostgres, schemaNamer, testPool } from '../../support/postgres.js';

const postgres = await probePostgres();

/** Every statement a client of this pool sends, except the NOTIFY that follows a committed append. */
const sent: string[] = [];

class CountingClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg.Client.query has many overloads; this only observes them.
  override query(...args: any[]): any {
    const config = args[0] as string | { name?: string; text: string };
    const text = typeof config === 'string' ? config : (config.name ?? config.text);
    if (!text.includes('notify')) sent.push(text);
    // biome-ignore lint/suspicious/noExplicitAny: forwards the same overload it was called with.
    return (super.query as (...a: any[]) => any)(...args);
  }
}

describe.skipIf(!postgres.available)('PostgreSQL append round trips', () => {
  const { pool, dropLater } = testPool({ max: 4, Client: CountingClient });
  const nextSchema = schemaNamer('factum_trips');
  const open = async (options: { maxConcurrentAppends?: number } = {}) => {
    const schema = nextSchema();
    dropLater(schema);
    return createPostgresStore({ pool, schema, migrate: true, listen: false, ...options });
  };
  /** The statements `work` sends. */
  const count = async (work: () => Promise<unknown>): Promise<string[]> => {
    sent.length = 0;
    await work();
    return [...sent];
  };
  const placed = () => ({ type: 'Placed', data: {} });

  it('a refused append costs one more statement (the head, for the error), which echoes stream, expected and actual', async () => {
    const store = await open();
    await store.append('order-1', [placed(), placed()]);
    let error: unknown;
    const statements = await count(() =>
      store.append('order-1', [placed()], { expectedVersion: 1 }).catch((e: unknown) => {
        error = e;
      }),
    );
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(error).toMatchObject({ streamId: 'order-1', expected: 1, actual: 2 });
    expect((error as Error).message).toBe('Wrong expected version: 1 (stream: order-1, actual version: 2)');
    // The append without caller-given ids stays a plain INSERT (the common path, as fast as it can
    // be); only when it is refused does the stream's head cost a second statement.
    expect(statements).toHaveLength(2);
    await store.close();
  });

  it('an append refused inside a group costs no statement beyond the group', async () => {
    const store = await open({ maxConcurrentAppends: 1 });
    await store.append('order-taken', [placed()]);
    const outcomes: PromiseSettledResult<unknown>[] = [];
    const statements = await count(async () => {
      // Made in one turn with one slot: all three go in one statement.
      outcomes.push(
        ...(await Promise.allSettled([
          store.append('order-a', [placed()]),
          store.append('order-taken', [placed()], { expectedVersion: 'no_stream' }),
          store.append('order-b', [placed(), placed()], { expectedVersion: 'no_stream' }),
        ])),
      );
    });
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({
      streamId: 'order-taken',
      expected: 'no_stream',
      actual: 1,
    });
    expect(statements).toHaveLength(1);
    await store.close();
  });

  it('an exact retry is one statement, at the same expected version or at any', async () => {
    const store = await open();
    const events = [
      { ...placed(), id: newEventId() },
      { ...placed(), id: newEventId() },
    ];
    const first = await store.append('order-1', events, { expectedVersion: 'no_stream' });
    for (const expectedVersion of ['no_stream', 'any'] as const) {
      let again: unknown;
      const statements = await count(async () => {
        again = await store.append('order-1', events, { expectedVersion });
      });
      expect(again).toEqual(first);
      expect(statements).toHaveLength(1);
    }
    expect((await store.readStream('order-1')).version).toBe(2);
    await store.close();
  });

  it('an exact retry inside a group costs no statement beyond the group', async () => {
    const store = await open({ maxConcurrentAppends: 1 });
    const events = [{ ...placed(), id: newEventId() }];
    const first = await store.append('order-1', events);
    let results: unknown[] = [];
    const statements = await count(async () => {
      results = await Promise.all([
        store.append('order-1', events, { expectedVersion: 'no_stream' }),
        store.append('order-2', [placed()]),
      ]);
    });
    expect(results[0]).toEqual(first);
    expect(statements).toHaveLength(1);
    await store.close();
  });

  it('with an append hook, a refused append is its transaction alone', async () => {
    const store: PostgresEventStore = await open();
    await store.append('order-1', [placed()]);
    store.addAppendHook({ begin: async () => {}, appended: async () => {} });
    let error: unknown;
    const statements = await count(() =>
      store.append('order-1', [placed()], { expectedVersion: 'no_stream' }).catch((e: unknown) => {
        error = e;
      }),
    );
    expect(error).toMatchObject({ streamId: 'order-1', expected: 'no_stream', actual: 1 });
    // BEGIN, the append statement, COMMIT.
    expect(statements).toHaveLength(3);
    await store.close();
  });
});
