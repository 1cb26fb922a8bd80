/** The one abortable sleep (core's): waits `ms` or until `signal` aborts, whichever comes first; never rejects. */
export { sleep as pause } from '../core/retry.js';

/**
 * An idle wait that `wake()` ends early. A wake-up that arrives while nobody waits is remembered, so
 * the next `idle` returns at once: "read found nothing" followed by "an append arrived before the
 * wait began" never sleeps through that append. `reset()` forgets it, just before a read starts.
 */
export class Waker {
  #woken = false;
  #wake: (() => void) | undefined;

  /** Something may have changed: ends the current idle wait, or the next one at once. */
  readonly wake = (): void => {
    this.#woken = true;
    this.#wake?.();
  };

  /** Called just before reading: wake-ups from now on count for the next idle wait. */
  reset(): void {
    this.#woken = false;
  }

  /** Waits `ms`, until woken, or until `signal` aborts. */
  idle(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#woken || signal?.aborted === true) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
