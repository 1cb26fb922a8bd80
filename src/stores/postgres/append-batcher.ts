import { checkAppend } from '../../core/idempotency.js';
import type { AppendResult } from '../../core/store.js';
import type { PreparedAppend } from '../../core/validation.js';
import { MAX_EVENTS_PER_TRANSACTION } from './position.js';
import type { AppendOutcome, AppendWritten } from './sql/append.js';

/** What the batcher needs from the store: one append alone, and several in one statement. */
export interface AppendRunner {
  /** The full single-append path (conflicts, retries, duplicates); resolves or throws for the caller. */
  single(append: PreparedAppend): Promise<AppendResult>;
  /**
   * One statement for several appends to distinct streams: each append's outcome, in order
   * (undefined: try that append again alone).
   */
  batch(appends: readonly PreparedAppend[]): Promise<(AppendOutcome | undefined)[]>;
  /** Whether a failed batch should be replayed append by append (a unique violation: a race or a stored id). */
  replayable(error: unknown): boolean;
  /** Called once per append the batch wrote. */
  written(written: AppendWritten): void;
}

/**
 * What an append statement's outcome means for the append: its result (written, or the exact retry
 * of an earlier append), a thrown DuplicateEventIdError or ConcurrencyError (core's checkAppend, on
 * the stream's version the statement saw), or undefined when nothing refuses it: run it again.
 */
export function settleAppend(append: PreparedAppend, outcome: AppendOutcome): AppendResult | undefined {
  if (outcome.written) return { nextExpectedVersion: outcome.version, position: outcome.position };
  return checkAppend(append, outcome.found, outcome.head);
}

interface Pending {
  append: PreparedAppend;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** Events one batch statement may carry (well inside the per-transaction limit of the position encoding). */
const MAX_BATCH_EVENTS = Math.min(2000, MAX_EVENTS_PER_TRANSACTION);

/**
 * Client-side group commit. Appends start as soon as the current turn of the event loop ends, while
 * fewer than `maxInFlight` statements are running; beyond that they queue, and each free slot takes
 * its share of the queue (distinct streams, up to MAX_BATCH_EVENTS events) into one statement: one
 * transaction and one commit for many appends, which is what a database bound by commits and round
 * trips needs. Each append keeps
 * its own expected-version check and its own outcome; appends to one stream never share a batch or
 * run concurrently, and go in the order they were made. An append the batch refused is settled from
 * what the batch statement returned (no second query). A batch that hits a unique violation (a race
 * with another process) is replayed append by append.
 */
export class AppendBatcher {
  readonly #runner: AppendRunner;
  readonly #maxInFlight: number;
  #queue: Pending[] = [];
  readonly #streamsInFlight = new Set<string>();
  #inFlight = 0;
  #scheduled = false;
  #drained: (() => void)[] = [];

  constructor(runner: AppendRunner, maxInFlight: number) {
    this.#runner = runner;
    this.#maxInFlight = Math.max(1, Math.floor(maxInFlight));
  }

  submit(append: PreparedAppend): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ append, resolve, reject });
      this.#schedule();
    });
  }

  /**
   * Starts statements once the current turn of the event loop is over, so that appends made
   * together (say, by every writer a finished statement released) are seen together.
   */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      // Share the queue between the free slots, so statements stay alike in size.
      const share = Math.ceil(this.#queue.length / (this.#maxInFlight - this.#inFlight));
      const batch = this.#take(share);
      if (batch.length === 0) return;
      this.#inFlight++;
      for (const p of batch) this.#streamsInFlight.add(p.append.streamId);
      void this.#run(batch).finally(() => {
        this.#inFlight--;
        for (const p of batch) this.#streamsInFlight.delete(p.append.streamId);
        this.#schedule();
        if (this.#inFlight === 0 && this.#queue.length === 0) {
          for (const resolve of this.#drained.splice(0)) resolve();
        }
      });
    }
  }

  /** Resolves once every submitted append has its outcome. */
  drain(): Promise<void> {
    if (this.#inFlight === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Up to `max` queued appends the next statement can carry, in order; the rest stay queued, in order. */
  #take(max: number): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const streams = new Set<string>();
    let events = 0;
    for (const p of this.#queue) {
      const id = p.append.streamId;
      const size = p.append.events.length;
      const fits = batch.length === 0 || (batch.length < max && events + size <= MAX_BATCH_EVENTS);
      if (fits && !streams.has(id) && !this.#streamsInFlight.has(id)) {
        batch.push(p);
        events += size;
      } else {
        rest.push(p);
      }
      // Once a stream is skipped, its later appends must wait behind it.
      streams.add(id);
    }
    this.#queue = rest;
    return batch;
  }

  async #run(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      const only = batch[0]!;
      await this.#runner.single(only.append).then(only.resolve, only.reject);
      return;
    }
    let outcomes: (AppendOutcome | undefined)[];
    try {
      outcomes = await this.#runner.batch(batch.map((p) => p.append));
    } catch (error) {
      if (!this.#runner.replayable(error)) {
        for (const p of batch) p.reject(error);
        return;
      }
      await Promise.all(batch.map((p) => this.#runner.single(p.append).then(p.resolve, p.reject)));
      return;
    }
    const alone: Pending[] = [];
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      const outcome = outcomes[i];
      let result: AppendResult | undefined;
      try {
        result = outcome === undefined ? undefined : settleAppend(p.append, outcome);
      } catch (error) {
        // Refused: a conflict or a stored id, known from the batch statement itself.
        p.reject(error);
        continue;
      }
      if (result === undefined) {
        alone.push(p);
        continue;
      }
      if (outcome?.written) this.#runner.written(outcome);
      p.resolve(result);
    }
    // Those the batch could not settle (a hook refused the batch): the single path decides.
    await Promise.all(alone.map((p) => this.#runner.single(p.append).then(p.resolve, p.reject)));
  }
}
