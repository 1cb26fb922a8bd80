import { AsyncLocalStorage } from 'node:async_hooks';

interface Holder {
  open: boolean;
}

/**
 * Serialises work on one connection (or one in-memory state) when a transaction spans `await`s (projection
 * batches, appends with in-transaction hooks). While such a transaction is open, every other use of
 * the connection in this process waits for it instead of joining it: better-sqlite3 would otherwise
 * nest an append into the open transaction, and a read would see uncommitted rows. The holder's own
 * async context (tracked with AsyncLocalStorage) may read without waiting.
 *
 * Nothing waits synchronously, so a transaction that awaits cannot deadlock the event loop.
 */
export class TransactionGate {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  readonly #context = new AsyncLocalStorage<Holder>();

  /** True while a gated task runs or waits: callers must queue through run() instead of using the connection directly. */
  get busy(): boolean {
    return this.#pending > 0;
  }

  /** True inside the async context of the task that holds the gate. */
  inside(): boolean {
    return this.#context.getStore()?.open === true;
  }

  /** Runs `task` alone: after every task queued before it has finished. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    this.#pending++;
    const holder: Holder = { open: false };
    const result = this.#tail.then(async () => {
      holder.open = true;
      try {
        return await this.#context.run(holder, task);
      } finally {
        holder.open = false;
        this.#pending--;
      }
    });
    this.#tail = result.catch(() => {});
    return result;
  }
}
