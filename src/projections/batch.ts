import type { BatchResult, BatchSteps, BatchTx, StorageTx } from './storage.js';

/** A BatchTx that writes straight into an open transaction; dead-letter ids are appended to `ids`. */
export function directBatchTx(tx: StorageTx, ids: number[]): BatchTx {
  return {
    projectionTx: (layout) => tx.projectionTx(layout),
    blockedKeys: (projection, generation) => tx.blockedKeys(projection, generation),
    async addDeadLetter(letter) {
      ids.push(await tx.addDeadLetter(letter));
    },
    async call(handler) {
      await handler();
      return 'done';
    },
  };
}

/**
 * ProjectionStorage.batch as one transaction of `scope`: check, work and commit in it, nothing
 * deferred. What PostgreSQL and memory do; a storage of your own can implement `batch` with it.
 */
export async function batchInTransaction<T>(
  storage: { transaction<R>(task: (tx: StorageTx) => Promise<R>, scope?: string): Promise<R> },
  scope: string,
  steps: BatchSteps<T>,
): Promise<BatchResult<T>> {
  const deadLetters: number[] = [];
  const value = await storage.transaction(async (tx) => {
    await steps.check(tx);
    const direct = directBatchTx(tx, deadLetters);
    const value = await steps.work(direct);
    await steps.commit(tx, value, direct);
    return value;
  }, scope);
  return { value, deadLetters };
}
