import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandHandler } from '../../core/command-handler.js';
import { loadState } from '../../core/load-state.js';
import type { SnapshotStore } from '../../core/snapshot.js';
import { snapshotsOf } from '../../core/snapshot.js';
import type { EventStore } from '../../core/store.js';
import { type CommandSideStoreFactory, recordingReads, tallyDecider } from './fixtures.js';

/** Snapshots: written after the append that reaches the policy, a cache that changes no result. */
export function describeSnapshots(factory: CommandSideStoreFactory): void {
  describe('snapshots', () => {
    let store: EventStore;
    let snapshots: SnapshotStore;
    beforeEach(async () => {
      store = await factory();
      const found = snapshotsOf(store);
      if (found === undefined) throw new Error('the store must keep snapshots (expose store.snapshots)');
      snapshots = found;
    });
    afterEach(async () => {
      await store.close();
    });

    it('saves, loads, replaces and deletes snapshots per stream and decider name', async () => {
      expect(await snapshots.load('tally-s0', 'tally')).toBeUndefined();
      const takenAt = new Date('2026-03-14T10:00:00.000Z');
      await snapshots.save({
        streamId: 'tally-s0',
        name: 'tally',
        version: 3,
        schemaVersion: 1,
        state: { a: [1] },
        takenAt,
      });
      await snapshots.save({
        streamId: 'tally-s0',
        name: 'other',
        version: 2,
        schemaVersion: 1,
        state: { b: 1 },
      });
      expect(await snapshots.load('tally-s0', 'tally')).toEqual({
        streamId: 'tally-s0',
        name: 'tally',
        version: 3,
        schemaVersion: 1,
        state: { a: [1] },
        takenAt,
      });
      // An older snapshot never replaces a newer one of the same schema version…
      await snapshots.save({
        streamId: 'tally-s0',
        name: 'tally',
        version: 2,
        schemaVersion: 1,
        state: { old: true },
      });
      expect((await snapshots.load('tally-s0', 'tally'))?.state).toEqual({ a: [1] });
      // …but a snapshot of another schema version does (the model changed).
      await snapshots.save({
        streamId: 'tally-s0',
        name: 'tally',
        version: 2,
        schemaVersion: 2,
        state: { v2: true },
      });
      expect(await snapshots.load('tally-s0', 'tally')).toMatchObject({
        version: 2,
        schemaVersion: 2,
        state: { v2: true },
      });
      await snapshots.delete('tally-s0', 'tally');
      expect(await snapshots.load('tally-s0', 'tally')).toBeUndefined();
      expect(await snapshots.load('tally-s0', 'other')).toBeDefined();
      await snapshots.delete('tally-s0');
      expect(await snapshots.load('tally-s0', 'other')).toBeUndefined();
    });

    it('writes a snapshot after the append that reaches `every`, then loads from it and reads only later events', async () => {
      const decider = tallyDecider({ every: 5 });
      const handle = commandHandler(store, decider);
      for (let i = 1; i <= 4; i++) await handle('tally-s1', { type: 'Add', n: i });
      expect(await snapshots.load('tally-s1', 'tally')).toBeUndefined();
      await handle('tally-s1', { type: 'Add', n: 5 });
      expect(await snapshots.load('tally-s1', 'tally')).toMatchObject({
        version: 5,
        schemaVersion: 1,
        state: { total: 15, count: 5, corrections: 0 },
      });
      // A batch that jumps past the next threshold snapshots at the version after the batch.
      await handle('tally-s1', { type: 'AddMany', ns: [1, 1, 1, 1, 1, 1, 1] });
      expect((await snapshots.load('tally-s1', 'tally'))?.version).toBe(12);
      await handle('tally-s1', { type: 'Add', n: 10 });

      let evolved = 0;
      const counted = tallyDecider({ every: 5, onEvolve: () => evolved++ });
      const recorded = recordingReads(store);
      const loaded = await loadState(recorded.store, counted, 'tally-s1');
      expect(loaded).toEqual({
        state: { total: 32, count: 13, corrections: 0 },
        version: 13,
        exists: true,
        snapshotVersion: 12,
        eventsApplied: 1,
      });
      expect(evolved).toBe(1);
      expect(recorded.reads).toEqual([
        { streamId: 'tally-s1', options: { fromVersion: 13, toVersion: undefined } },
      ]);
    });

    it('is a cache: deleting snapshots changes no result', async () => {
      const handle = commandHandler(store, tallyDecider({ every: 3 }));
      const withSnapshots = [];
      for (let i = 1; i <= 10; i++) withSnapshots.push(await handle('tally-s2', { type: 'Add', n: i }));
      const before = await loadState(store, tallyDecider({ every: 3 }), 'tally-s2');
      expect(before.snapshotVersion).toBe(9);
      await snapshots.delete('tally-s2');
      const after = await loadState(store, tallyDecider({ every: 3 }), 'tally-s2');
      const never = await loadState(store, tallyDecider({ every: 3 }), 'tally-s2', { snapshots: false });
      expect(after.snapshotVersion).toBe(0);
      expect({ ...after, snapshotVersion: 9, eventsApplied: 1 }).toEqual(before);
      expect(never.state).toEqual(before.state);
      // Commands after the deletion decide exactly as they would have with the snapshot.
      const next = await handle('tally-s2', { type: 'Add', n: 11 });
      expect(next.events).toEqual([{ type: 'Added', data: { n: 11, seq: 11 } }]);
      expect(next.state).toEqual({ total: 66, count: 11, corrections: 0 });
    });

    it('ignores a snapshot of another schemaVersion and rebuilds it lazily', async () => {
      const v1 = commandHandler(store, tallyDecider({ every: 4, schemaVersion: 1 }));
      for (let i = 0; i < 4; i++) await v1('tally-s3', { type: 'Add', n: 1 });
      // Pretend the v1 snapshot holds a shape the v2 model cannot read.
      await snapshots.save({
        streamId: 'tally-s3',
        name: 'tally',
        version: 4,
        schemaVersion: 1,
        state: { garbage: true },
      });
      const v2Decider = tallyDecider({ every: 4, schemaVersion: 2 });
      const loaded = await loadState(store, v2Decider, 'tally-s3');
      expect(loaded).toMatchObject({ state: { total: 4, count: 4, corrections: 0 }, snapshotVersion: 0 });
      const v2 = commandHandler(store, v2Decider);
      await v2('tally-s3', { type: 'Add', n: 1 });
      // 5 events since the last usable snapshot (none): the v2 snapshot replaces the v1 one.
      expect(await snapshots.load('tally-s3', 'tally')).toMatchObject({
        version: 5,
        schemaVersion: 2,
        state: { total: 5, count: 5 },
      });
    });

    it('ignores a snapshot ahead of the stream and one of another decider name', async () => {
      await commandHandler(store, tallyDecider())('tally-s4', { type: 'AddMany', ns: [2, 3] });
      await snapshots.save({
        streamId: 'tally-s4',
        name: 'tally',
        version: 50,
        schemaVersion: 1,
        state: { total: -1, count: 50, corrections: 0 },
      });
      await snapshots.save({
        streamId: 'tally-s4',
        name: 'other',
        version: 1,
        schemaVersion: 1,
        state: { total: -2, count: 1, corrections: 0 },
      });
      const loaded = await loadState(store, tallyDecider({ every: 10 }), 'tally-s4');
      expect(loaded).toMatchObject({ state: { total: 5, count: 2 }, version: 2, snapshotVersion: 0 });
    });

    it('never fails a command because a snapshot could not be written or read, and reports it', async () => {
      const real = snapshots;
      const reported: { operation: string; streamId: string; version?: number; error: unknown }[] = [];
      const failing: SnapshotStore = {
        load: () => Promise.reject(new Error('snapshot read failed')),
        save: () => Promise.reject(new Error('snapshot write failed')),
        delete: (s, n) => real.delete(s, n),
      };
      const handle = commandHandler(store, tallyDecider({ every: 2 }), {
        snapshots: failing,
        onSnapshotError: (error, context) => reported.push({ ...context, error }),
      });
      const first = await handle('tally-s5', { type: 'Add', n: 1 });
      const second = await handle('tally-s5', { type: 'Add', n: 2 });
      expect(first.nextExpectedVersion).toBe(1);
      expect(second).toMatchObject({ nextExpectedVersion: 2, state: { total: 3, count: 2 } });
      expect((await store.readStream('tally-s5')).version).toBe(2);
      expect(reported.map((r) => [r.operation, r.streamId, (r.error as Error).message])).toEqual([
        ['load', 'tally-s5', 'snapshot read failed'],
        ['load', 'tally-s5', 'snapshot read failed'],
        ['save', 'tally-s5', 'snapshot write failed'],
      ]);
      expect(reported[2]!.version).toBe(2);
      expect(await real.load('tally-s5', 'tally')).toBeUndefined();
    });

    it('takes snapshots when a `when` policy says so', async () => {
      const decider = tallyDecider();
      decider.snapshot = { schemaVersion: 1, when: ({ state }) => state.total >= 10 };
      const handle = commandHandler(store, decider);
      await handle('tally-s6', { type: 'Add', n: 4 });
      expect(await snapshots.load('tally-s6', 'tally')).toBeUndefined();
      await handle('tally-s6', { type: 'Add', n: 6 });
      expect(await snapshots.load('tally-s6', 'tally')).toMatchObject({ version: 2, state: { total: 10 } });
    });
  });
}
