import {
  AbortedError,
  ConcurrencyError,
  commandHandler,
  createMemoryStore,
  type Decider,
  type EventStore,
  RetriesExhaustedError,
  ValidationError,
} from 'factum';
import { describe, expect, it } from 'vitest';

type Cmd = { type: 'Inc' };
type Ev = { type: 'Incremented'; data: { by: number } };
const counter: Decider<Cmd, Ev, number> = {
  name: 'counter',
  initialState: () => 0,
  evolve: (n, e) => n + e.data.by,
  decide: () => ({ type: 'Incremented', data: { by: 1 } }),
};

/** A store whose appends always lose the race: another writer got there first. */
function alwaysConflicting(inner: EventStore): EventStore & { appends: number } {
  const wrapper = {
    appends: 0,
    append: async (streamId: string) => {
      wrapper.appends++;
      throw new ConcurrencyError(streamId, 0, 1);
    },
    readStream: inner.readStream.bind(inner),
    readAll: inner.readAll.bind(inner),
    subscribe: inner.subscribe.bind(inner),
    close: inner.close.bind(inner),
  };
  return wrapper;
}

describe('commandHandler', () => {
  it('gives up after the configured retries with RetriesExhaustedError caused by the last conflict', async () => {
    const store = alwaysConflicting(createMemoryStore());
    const handle = commandHandler(store, counter, { retry: { retries: 3, initialDelayMs: 0 } });
    const error = await handle('counter-1', { type: 'Inc' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toMatchObject({ attempts: 4 });
    expect((error as Error).cause).toBeInstanceOf(ConcurrencyError);
    expect(store.appends).toBe(4);
  });

  it('with retry: false, a conflict reaches the caller as the ConcurrencyError itself', async () => {
    const store = alwaysConflicting(createMemoryStore());
    const error = await commandHandler(store, counter, { retry: false })('counter-2', { type: 'Inc' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect(store.appends).toBe(1);
  });

  it('stops retrying when the call is aborted', async () => {
    const store = alwaysConflicting(createMemoryStore());
    const abort = new AbortController();
    const handle = commandHandler(store, counter, {
      retry: { retries: 1000, initialDelayMs: 5, maxDelayMs: 5 },
    });
    const pending = handle('counter-3', { type: 'Inc' }, { signal: abort.signal });
    setTimeout(() => abort.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(store.appends).toBeLessThan(1000);
  });

  it('accepts one event or an array from decide', async () => {
    const store = createMemoryStore();
    const twice: Decider<Cmd, Ev, number> = {
      ...counter,
      decide: () => [
        { type: 'Incremented', data: { by: 1 } },
        { type: 'Incremented', data: { by: 2 } },
      ],
    };
    expect((await commandHandler(store, counter)('counter-4', { type: 'Inc' })).state).toBe(1);
    expect((await commandHandler(store, twice)('counter-4', { type: 'Inc' })).state).toBe(4);
  });

  it('rejects a snapshot policy without a name or with bad numbers when the handler is made', () => {
    const store = createMemoryStore();
    const { name: _, ...unnamed } = counter;
    expect(() => commandHandler(store, { ...unnamed, snapshot: { every: 10, schemaVersion: 1 } })).toThrow(
      ValidationError,
    );
    expect(() => commandHandler(store, { ...counter, snapshot: { every: 0, schemaVersion: 1 } })).toThrow(
      /snapshot.every must be a positive integer, got 0/,
    );
    expect(() => commandHandler(store, { ...counter, snapshot: { every: 5, schemaVersion: 0 } })).toThrow(
      /snapshot.schemaVersion must be a positive integer/,
    );
    expect(() => commandHandler(store, { ...counter, snapshot: { schemaVersion: 1 } as never })).toThrow(
      /needs 'every'/,
    );
  });

  it('rejects an invalid expectedVersion before loading anything', async () => {
    const handle = commandHandler(createMemoryStore(), counter);
    await expect(handle('counter-5', { type: 'Inc' }, { expectedVersion: -1 })).rejects.toMatchObject({
      code: 'FACTUM_INVALID_EXPECTED_VERSION',
    });
  });

  it('keeps event ids given by decide, so a replayed decision is an idempotent append', async () => {
    const store = createMemoryStore();
    const id = '0190f3c2-7a1e-7c55-9b1e-3f2d4c5b6a79';
    const once: Decider<Cmd, Ev & { id?: string }, number> = {
      ...counter,
      decide: () => ({ type: 'Incremented', data: { by: 1 }, id }),
    };
    await commandHandler(store, once)('counter-6', { type: 'Inc' });
    expect((await store.readStream('counter-6')).events[0]!.id).toBe(id);
  });
});
