import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandHandler } from '../../core/command-handler.js';
import { ConcurrencyError, isFactumError } from '../../core/errors.js';
import type { EventStore } from '../../core/store.js';
import { range } from '../helpers.js';
import {
  type CommandSideStoreFactory,
  rejection,
  type TallyCommand,
  TallyRefused,
  tallyDecider,
} from './fixtures.js';

/** Command handling: decide, append at the loaded version, retry conflicts, pass metadata through. */
export function describeCommandHandling(factory: CommandSideStoreFactory): void {
  describe('command handling', () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('decides, appends with the command metadata, and returns events, state and version', async () => {
      const handle = commandHandler(store, tallyDecider());
      const metadata = { correlationId: 'corr-1', causationId: 'cmd-1', userId: 'alice' };
      const first = await handle('tally-1', { type: 'Add', n: 5 }, { metadata });
      expect(first.events).toEqual([{ type: 'Added', data: { n: 5, seq: 1 } }]);
      expect(first.state).toEqual({ total: 5, count: 1, corrections: 0 });
      expect(first.nextExpectedVersion).toBe(1);
      expect(typeof first.position).toBe('bigint');
      const second = await handle(
        'tally-1',
        { type: 'AddMany', ns: [1, 2] },
        { metadata: { userId: 'bob' } },
      );
      expect(second.state).toEqual({ total: 8, count: 3, corrections: 0 });
      expect(second.nextExpectedVersion).toBe(3);
      const { events } = await store.readStream('tally-1');
      expect(events.map((e) => [e.type, e.data, e.version])).toEqual([
        ['Added', { n: 5, seq: 1 }, 1],
        ['Added', { n: 1, seq: 2 }, 2],
        ['Added', { n: 2, seq: 3 }, 3],
      ]);
      expect(events[0]!.metadata).toEqual(metadata);
      expect(events[1]!.metadata).toEqual({ userId: 'bob' });
      expect(events[2]!.position).toBe(second.position);
    });

    it('merges handler-wide metadata under the call metadata', async () => {
      const handle = commandHandler(store, tallyDecider(), { metadata: { userId: 'system', source: 'api' } });
      await handle('tally-2', { type: 'Add', n: 1 }, { metadata: { userId: 'carol', correlationId: 'c-9' } });
      const [event] = (await store.readStream('tally-2')).events;
      expect(event!.metadata).toEqual({ userId: 'carol', source: 'api', correlationId: 'c-9' });
    });

    it('lets a domain error from decide reach the caller unchanged and writes nothing', async () => {
      const handle = commandHandler(store, tallyDecider());
      await handle('tally-3', { type: 'Add', n: 1 });
      const error = await rejection(handle('tally-3', { type: 'Add', n: -4 }));
      expect(error).toBeInstanceOf(TallyRefused);
      expect(error).toMatchObject({ n: -4, message: 'Cannot add -4: only positive numbers' });
      expect(isFactumError(error)).toBe(false);
      expect((await store.readStream('tally-3')).version).toBe(1);
      expect((await store.readAll()).events).toHaveLength(1);
    });

    it('writes nothing when decide returns no event', async () => {
      const handle = commandHandler(store, tallyDecider());
      const empty = await handle('tally-4', { type: 'Noop' });
      expect(empty).toEqual({
        events: [],
        state: { total: 0, count: 0, corrections: 0 },
        nextExpectedVersion: 0,
        position: undefined,
      });
      await handle('tally-4', { type: 'Add', n: 2 });
      const again = await handle('tally-4', { type: 'Noop' });
      expect(again.nextExpectedVersion).toBe(1);
      expect((await store.readAll()).events).toHaveLength(1);
    });

    it('reloads and decides again when concurrent commands conflict, so every decision sees fresh state', async () => {
      const handle = commandHandler(store, tallyDecider(), { retry: { retries: 30 } });
      const n = 10;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) => handle('tally-5', { type: 'Add', n: i + 1 })),
      );
      expect(results.map((r) => r.nextExpectedVersion).sort((a, b) => a - b)).toEqual(range(1, n));
      const { events } = await store.readStream('tally-5');
      expect(events).toHaveLength(n);
      // Each Added carries seq = count before + 1: a decision on stale state would repeat a seq.
      expect(events.map((e) => (e.data as { seq: number }).seq)).toEqual(range(1, n));
      const total = events.reduce((sum, e) => sum + (e.data as { n: number }).n, 0);
      expect(total).toBe((n * (n + 1)) / 2);
    });

    it("fails without retrying when the caller's expectedVersion is stale, writing nothing", async () => {
      let decisions = 0;
      const decider = tallyDecider();
      const counting = {
        ...decider,
        decide: (command: TallyCommand, state: Parameters<typeof decider.decide>[1]) => {
          decisions++;
          return decider.decide(command, state);
        },
      };
      const handle = commandHandler(store, counting);
      await handle('tally-6', { type: 'AddMany', ns: [1, 1] });
      decisions = 0;
      const error = await rejection(handle('tally-6', { type: 'Add', n: 3 }, { expectedVersion: 1 }));
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ streamId: 'tally-6', expected: 1, actual: 2, retriable: false });
      expect(decisions).toBe(0);
      const ok = await handle('tally-6', { type: 'Add', n: 3 }, { expectedVersion: 2 });
      expect(ok.nextExpectedVersion).toBe(3);
      const created = await handle('tally-7', { type: 'Add', n: 3 }, { expectedVersion: 'no_stream' });
      expect(created.nextExpectedVersion).toBe(1);
      expect((await store.readAll()).events).toHaveLength(4);
    });
  });
}
