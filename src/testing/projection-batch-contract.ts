import { describe, expect, it } from 'vitest';
import { ErrorCodes, isFactumError } from '../core/errors.js';
import { checkLease, tryAcquireLease } from '../follow/index.js';
import { documentReader } from '../projections/read-model.js';
import { projectionCheckpoint } from '../projections/status.js';
import type {
  BatchSteps,
  BatchTx,
  GenerationLayout,
  NewDeadLetter,
  ProjectionStorage,
} from '../projections/storage.js';
import type { ProjectionTx } from '../projections/types.js';
import { sleep } from './helpers.js';

const noCheck = async () => {};
const checkpoint = projectionCheckpoint('contract', 1);

function parked(n: number): NewDeadLetter {
  return {
    projection: 'contract',
    generation: 1,
    status: 'parked',
    orderingKey: `s-${n}`,
    event: {
      id: `0190f3c2-7a1e-7c55-9b1e-${String(n).padStart(12, '0')}`,
      type: 'Happened',
      streamId: `s-${n}`,
      category: 's',
      version: 1,
      position: BigInt(n),
      schemaVersion: 1,
      timestamp: new Date(1_700_000_000_000 + n),
      data: { n },
      metadata: {},
    },
    error: null,
    attempts: 0,
  };
}

/**
 * ProjectionStorage.batch, part of describeProjectionStorageContract: read-your-own-writes inside a
 * batch, nothing written by a batch that throws, the fence checked in the committing transaction.
 */
export function describeBatchContract(
  storage: () => ProjectionStorage,
  layout: (generation: number) => GenerationLayout,
): void {
  describe('batches', () => {
    const docsOf = (tx: BatchTx) =>
      tx.projectionTx(layout(1)).documents<Record<string, unknown>>('contract_docs');
    const reader = () => documentReader<Record<string, unknown>>(storage(), 'contract_docs');

    it('reads committed state plus its own writes, and commits them with its dead letters and checkpoint', async () => {
      await storage().transaction(async (tx) => {
        await tx.projectionTx(layout(1)).documents('contract_docs').upsert('c', { v: 1 });
      });
      const result = await storage().batch('contract', {
        check: noCheck,
        work: async (tx) => {
          const outcome = await tx.call(async () => {
            const docs = docsOf(tx);
            expect(await docs.get('c')).toEqual({ v: 1 });
            await docs.upsert('n', { v: 2 });
            expect(await docs.get('n')).toEqual({ v: 2 });
            expect(await docs.patch('c', { w: 3 })).toBe(true);
            expect(await docs.get('c')).toEqual({ v: 1, w: 3 });
            expect(await docs.delete('c')).toBe(true);
            expect(await docs.get('c')).toBeUndefined();
            expect(await docs.delete('c')).toBe(false);
            expect(await docs.patch('c', { v: 9 })).toBe(false);
            await docs.upsert('c', { v: 4 });
          });
          await tx.addDeadLetter(parked(1));
          await tx.addDeadLetter(parked(2));
          return outcome;
        },
        commit: async (tx, outcome) => {
          expect(outcome).toBe('done');
          await tx.setCheckpoint(checkpoint, 7n);
        },
      });
      expect(result.value).toBe('done');
      expect(result.deadLetters).toHaveLength(2);
      expect(await reader().get('n')).toEqual({ v: 2 });
      expect(await reader().get('c')).toEqual({ v: 4 });
      await storage().read(async (tx) => {
        expect(await tx.getCheckpoint(checkpoint)).toBe(7n);
        const letters = await Promise.all(result.deadLetters.map((id) => tx.getDeadLetter(id)));
        expect(letters.map((d) => [d?.status, d?.event.streamId])).toEqual([
          ['parked', 's-1'],
          ['parked', 's-2'],
        ]);
      });
    });

    it('keeps its writes from readers until it commits', async () => {
      let release: () => void = () => {};
      const held = new Promise<void>((r) => {
        release = r;
      });
      let inside: () => void = () => {};
      const entered = new Promise<void>((r) => {
        inside = r;
      });
      const batch = storage().batch('contract', {
        check: noCheck,
        work: async (tx) => {
          await tx.call(() => docsOf(tx).upsert('pending', { v: 1 }));
          inside();
          await held;
        },
        commit: async (tx) => tx.setCheckpoint(checkpoint, 1n),
      });
      await entered;
      const reading = reader().get('pending');
      const during = await Promise.race([reading, sleep(50).then(() => 'waiting')]);
      release();
      await batch;
      // Either the read waits for the commit or it reads the state before the batch: never its rows.
      if (during === 'waiting') expect(await reading).toEqual({ v: 1 });
      else expect(during).toBeUndefined();
      expect(await reader().get('pending')).toEqual({ v: 1 });
    });

    it('answers find and count after its own writes; a call made again in the commit (deferred) counts once', async () => {
      let runs = 0;
      const seen: number[] = [];
      const handler = (tx: BatchTx) => async () => {
        runs++;
        const docs = docsOf(tx);
        const n = ((await docs.get('counter'))?.n as number | undefined) ?? 0;
        await docs.upsert('counter', { n: n + 1, status: 'counted' });
        seen.push(await docs.count({ status: 'counted' }));
        expect((await docs.find({ status: 'counted' })).map((d) => d.n)).toEqual([n + 1]);
      };
      const steps: BatchSteps<'done' | 'deferred'> = {
        check: noCheck,
        work: (tx) => tx.call(handler(tx)),
        commit: async (tx, outcome, direct) => {
          if (outcome === 'deferred') expect(await direct.call(handler(direct))).toBe('done');
          await tx.setCheckpoint(checkpoint, 1n);
        },
      };
      const { value } = await storage().batch('contract', steps);
      expect(runs).toBe(value === 'deferred' ? 2 : 1);
      expect(seen.at(-1)).toBe(1);
      // A deferred call's first writes were taken back: the counter went up once.
      expect(await reader().get('counter')).toEqual({ n: 1, status: 'counted' });
    });

    it('writes nothing when work or commit throws, and refuses its tx once it has ended', async () => {
      const boom = new Error('boom');
      let kept: ProjectionTx | undefined;
      await expect(
        storage().batch('contract', {
          check: noCheck,
          work: async (tx) => {
            await tx.call(async () => {
              kept = tx.projectionTx(layout(1));
              await kept.documents('contract_docs').upsert('x', { v: 1 });
            });
            await tx.addDeadLetter(parked(1));
            throw boom;
          },
          commit: async (tx) => tx.setCheckpoint(checkpoint, 5n),
        }),
      ).rejects.toBe(boom);
      await expect(
        storage().batch('contract', {
          check: noCheck,
          work: async (tx) => {
            await tx.call(() => docsOf(tx).upsert('y', { v: 1 }));
            await tx.addDeadLetter(parked(2));
          },
          commit: async (tx) => {
            await tx.setCheckpoint(checkpoint, 6n);
            throw boom;
          },
        }),
      ).rejects.toBe(boom);
      expect(await reader().get('x')).toBeUndefined();
      expect(await reader().get('y')).toBeUndefined();
      await storage().read(async (tx) => {
        expect(await tx.getCheckpoint(checkpoint)).toBeUndefined();
        expect(await tx.listDeadLetters({})).toEqual([]);
      });
      await expect(kept!.documents('contract_docs').get('x')).rejects.toSatisfy((e) =>
        isFactumError(e, ErrorCodes.TRANSACTION_CLOSED),
      );
    });

    it('checks the fence before work and in the committing transaction', async () => {
      const name = { name: 'projection:contract', scope: 'contract' };
      const lease = (await tryAcquireLease(storage(), name, 'a', 60_000))!;
      let worked = false;
      const lost = await storage()
        .batch('contract', {
          check: async () => {
            throw new Error('fenced');
          },
          work: async () => {
            worked = true;
          },
          commit: async () => {},
        })
        .catch((e: unknown) => e);
      expect((lost as Error).message).toBe('fenced');
      expect(worked).toBe(false);

      // Another holder takes the lease over while the batch works. Where the batch holds its
      // transaction meanwhile, the takeover waits for the commit; where it does not (SQLite), the
      // batch finds the lease gone when it commits and writes nothing.
      const order: string[] = [];
      let takeover: Promise<unknown> | undefined;
      const outcome = await storage()
        .batch('contract', {
          check: (tx) => checkLease(tx, lease),
          work: async (tx) => {
            await tx.call(() => docsOf(tx).upsert('fenced', { v: 1 }));
            takeover = tryAcquireLease(storage(), name, 'b', 60_000, { takeOver: true }).then((b) => {
              order.push('takeover');
              return b;
            });
            await Promise.race([takeover, sleep(200)]);
          },
          commit: async (tx) => {
            order.push('commit');
            await tx.setCheckpoint(checkpoint, 3n);
          },
        })
        .catch((error: unknown) => error);
      expect(await takeover).toMatchObject({ owner: 'b', token: lease.token + 1 });
      if (order.includes('commit')) {
        // Committed under the old lease: the takeover came after the commit.
        expect(order).toEqual(['commit', 'takeover']);
        expect(outcome).not.toBeInstanceOf(Error);
        expect(await reader().get('fenced')).toEqual({ v: 1 });
      } else {
        expect(order).toEqual(['takeover']);
        expect(isFactumError(outcome, ErrorCodes.LEASE_LOST)).toBe(true);
        expect(await reader().get('fenced')).toBeUndefined();
        expect(await storage().read((tx) => tx.getCheckpoint(checkpoint))).toBeUndefined();
      }
    });
  });
}
