import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandHandler } from '../../core/command-handler.js';
import { auditTrail, loadState } from '../../core/load-state.js';
import type { EventStore } from '../../core/store.js';
import { sleep } from '../helpers.js';
import { type CommandSideStoreFactory, tallyDecider } from './fixtures.js';

/** Temporal queries, the audit trail and retroactive corrections as compensating events. */
export function describeTemporal(factory: CommandSideStoreFactory): void {
  describe('temporal queries and audit', () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => {
      await store.close();
    });

    it('rebuilds the state as it was at a time and at a version, with or without snapshots', async () => {
      const decider = tallyDecider({ every: 3 });
      const handle = commandHandler(store, decider);
      await handle('tally-t1', { type: 'AddMany', ns: [1, 2] });
      await sleep(25);
      const between = new Date();
      await sleep(25);
      await handle('tally-t1', { type: 'AddMany', ns: [3, 4, 5] });
      expect((await loadState(store, decider, 'tally-t1')).snapshotVersion).toBe(5);

      expect(await loadState(store, decider, 'tally-t1', { until: between })).toMatchObject({
        state: { total: 3, count: 2 },
        version: 2,
        snapshotVersion: 0,
      });
      // Before the snapshot: the snapshot is not used.
      expect(await loadState(store, decider, 'tally-t1', { toVersion: 4 })).toMatchObject({
        state: { total: 10, count: 4 },
        version: 4,
        snapshotVersion: 0,
      });
      expect(await loadState(store, decider, 'tally-t1', { toVersion: 5 })).toMatchObject({
        state: { total: 15, count: 5 },
        version: 5,
        snapshotVersion: 5,
      });
      expect(
        await loadState(store, decider, 'tally-t1', { until: new Date(between.getTime() - 60_000) }),
      ).toEqual({
        state: { total: 0, count: 0, corrections: 0 },
        version: 0,
        exists: false,
        snapshotVersion: 0,
        eventsApplied: 0,
      });
    });

    it('lists when, what, who and the data of every event', async () => {
      const handle = commandHandler(store, tallyDecider());
      await handle(
        'tally-t2',
        { type: 'Add', n: 7 },
        { metadata: { userId: 'alice', correlationId: 'c-1' } },
      );
      await handle('tally-t2', { type: 'Add', n: 8 }, { metadata: { userId: 'bob', causationId: 'cmd-2' } });
      const trail = await auditTrail(store, 'tally-t2');
      const stored = (await store.readStream('tally-t2')).events;
      expect(trail).toEqual([
        {
          when: stored[0]!.timestamp,
          what: 'Added',
          who: 'alice',
          data: { n: 7, seq: 1 },
          version: 1,
          eventId: stored[0]!.id,
          correlationId: 'c-1',
          causationId: undefined,
        },
        {
          when: stored[1]!.timestamp,
          what: 'Added',
          who: 'bob',
          data: { n: 8, seq: 2 },
          version: 2,
          eventId: stored[1]!.id,
          correlationId: undefined,
          causationId: 'cmd-2',
        },
      ]);
      expect(await auditTrail(store, 'tally-t2', { toVersion: 1 })).toHaveLength(1);
    });

    it('corrects the past with a compensating event: history keeps both, state adjusts from then on', async () => {
      const decider = tallyDecider();
      const handle = commandHandler(store, decider);
      await handle('tally-t3', { type: 'Add', n: 100 }, { metadata: { userId: 'clerk' } });
      const wrong = await loadState(store, decider, 'tally-t3');
      // The amount should have been 90: never edit the stored event, append a correction.
      await handle(
        'tally-t3',
        { type: 'Correct', delta: -10, reason: 'keyed 100 instead of 90' },
        { metadata: { userId: 'auditor' } },
      );
      const corrected = await loadState(store, decider, 'tally-t3');
      expect(wrong.state.total).toBe(100);
      expect(corrected.state).toEqual({ total: 90, count: 1, corrections: 1 });
      expect((await loadState(store, decider, 'tally-t3', { toVersion: 1 })).state.total).toBe(100);
      const trail = await auditTrail(store, 'tally-t3');
      expect(trail.map((e) => [e.what, e.who, e.data])).toEqual([
        ['Added', 'clerk', { n: 100, seq: 1 }],
        ['Corrected', 'auditor', { delta: -10, reason: 'keyed 100 instead of 90' }],
      ]);
    });
  });
}
