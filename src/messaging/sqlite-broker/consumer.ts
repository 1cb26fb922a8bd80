import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { isRetriable } from '../../core/errors.js';
import { retry } from '../../core/retry.js';
import { Waker } from '../../follow/kit.js';
import type { Consumer, MessageHandler } from '../broker.js';
import { type DeadLetterOutcome, type ResolvedConsumeOptions, runDelivery } from '../delivery.js';
import type { SqliteBrokerHost } from './host.js';
import { type ClaimedRow, claim, hasFreeDelivery } from './sql/claim.js';
import { ack, deadLetter, release, renew } from './sql/settle.js';
import { listen, notify } from './wakers.js';
import { decode } from './wire.js';

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How often a settle (ack, dead letter) is tried again when the database is busy. */
const SETTLE_RETRIES = 5;
/** How long a handled delivery may wait for its acknowledgement to share a transaction with the next. */
const ACK_FLUSH_MS = 20;

/**
 * One consumer of a group: claims up to `prefetch` free deliveries in one short write transaction
 * (a lease of `leaseMs`, renewed every third of it while it works), handles them one at a time in
 * publish order, acknowledges each once its handler succeeded (deleting the delivery row; the
 * acknowledgements of handlers that finish within ACK_FLUSH_MS of each other share one transaction,
 * and none waits past the batch), and claims again. With nothing to claim it waits until a publish
 * or an acknowledgement in this process wakes it, or `pollMs` passes (for other processes' writes and
 * leases that ran out).
 */
export class SqliteConsumer implements Consumer {
  readonly group: string;
  readonly #host: SqliteBrokerHost;
  readonly #options: ResolvedConsumeOptions;
  readonly #handler: MessageHandler;
  readonly #abort = new AbortController();
  readonly #waker = new Waker();
  readonly #owner = `${process.pid}-${randomUUID()}`;
  #unlisten: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #stopped = false;

  constructor(host: SqliteBrokerHost, options: ResolvedConsumeOptions, handler: MessageHandler) {
    this.#host = host;
    this.group = options.group;
    this.#options = options;
    this.#handler = handler;
  }

  start(): void {
    this.#unlisten = listen(this.#host.wakeKey, this.#waker.wake);
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let failures = 0;
    while (!this.#stopped) {
      this.#waker.reset();
      let batch: ClaimedRow[] = [];
      try {
        batch = await this.#claim();
        if (failures > 0) this.#host.emitter.emit('broker.reconnected', { attempts: failures });
        failures = 0;
      } catch (error) {
        // The database is busy or failing: say so once, keep trying every pollMs.
        if (failures++ === 0) {
          this.#host.emitter.emit('broker.disconnected', error instanceof Error ? { error } : {});
        }
      }
      if (batch.length === 0) {
        await this.#waker.idle(this.#host.pollMs, signal);
        continue;
      }
      try {
        await this.#work(batch);
      } catch {
        // Whatever was not settled comes again once the lease runs out (at least once).
        await this.#waker.idle(this.#host.pollMs, signal);
      }
      // The database calls are synchronous and their promises resolve at once: with deliveries always
      // waiting, this loop would never let timers and sockets (an HTTP server in this process) run.
      await yieldToEventLoop();
    }
  }

  async #claim(): Promise<ClaimedRow[]> {
    const { namespace } = this.#host;
    const now = Date.now();
    const free = await this.#host.read('look for deliveries', (db) =>
      hasFreeDelivery(db, namespace, this.group, now),
    );
    if (!free || this.#stopped) return [];
    return this.#host.write(
      `claim deliveries of ${this.group}`,
      (db) =>
        claim(
          db,
          namespace,
          this.group,
          this.#owner,
          this.#options.prefetch,
          Date.now(),
          Date.now() + this.#host.leaseMs,
        ),
      false,
    );
  }

  async #work(batch: ClaimedRow[]): Promise<void> {
    const { namespace, leaseMs } = this.#host;
    const heartbeat = setInterval(
      () => {
        this.#host
          .write('renew a lease', (db) => renew(db, this.#owner, Date.now() + leaseMs), false)
          .catch(() => {});
      },
      Math.max(10, Math.floor(leaseMs / 3)),
    );
    // Acknowledgements wait (at most ACK_FLUSH_MS, and never past the batch) to share a transaction.
    const acks: bigint[] = [];
    let firstAck = 0;
    let next = 0;
    let abandoned = false;
    try {
      for (; next < batch.length && !this.#stopped; next++) {
        const row = batch[next]!;
        const outcome = await runDelivery(
          { decode: () => decode(row.body), deliveryCount: row.deliveryCount, destination: namespace },
          this.#options,
          this.#handler,
          this.#abort.signal,
          this.#host.emitter,
        );
        if (outcome.kind === 'abandon') {
          abandoned = true;
          break;
        }
        if (outcome.kind === 'ack') {
          if (acks.push(row.seq) === 1) firstAck = performance.now();
          if (performance.now() - firstAck >= ACK_FLUSH_MS) await this.#acknowledge(acks.splice(0));
        } else {
          await this.#acknowledge(acks.splice(0));
          await this.#deadLetter(row, outcome);
        }
      }
      await this.#acknowledge(acks.splice(0));
    } finally {
      clearInterval(heartbeat);
    }
    if (next < batch.length) {
      // Stopping: what the handler never saw goes back uncounted; an abandoned one keeps its count.
      const unseen = batch.slice(next + (abandoned ? 1 : 0)).map((r) => r.seq);
      await this.#host
        .write('give deliveries back', (db) => release(db, this.#owner, namespace, this.group, unseen), false)
        .catch(() => {});
      notify(this.#host.wakeKey);
    }
  }

  /** Acknowledges handled deliveries in one transaction (deleting their rows). */
  async #acknowledge(seqs: readonly bigint[]): Promise<void> {
    if (seqs.length === 0) return;
    const { namespace } = this.#host;
    await this.#settle(`acknowledge ${seqs.length} deliveries of ${this.group}`, false, (db) => {
      for (const seq of seqs) ack(db, namespace, this.group, seq, this.#owner);
    });
  }

  async #deadLetter(row: ClaimedRow, outcome: DeadLetterOutcome): Promise<void> {
    let eventId = outcome.event?.id;
    if (eventId === undefined) {
      try {
        eventId = (JSON.parse(row.headers) as Record<string, string | undefined>)['factum-id'];
      } catch {
        eventId = undefined;
      }
    }
    this.#host.emitter.emit('consumer.dead-lettered', {
      group: this.group,
      eventId,
      reason: outcome.reason,
      error: outcome.error,
    });
    const { namespace } = this.#host;
    await this.#settle(`dead-letter delivery ${row.seq} of ${this.group}`, true, (db) =>
      deadLetter(db, namespace, this.group, row.seq, this.#owner, outcome, Date.now()),
    );
  }

  /** One settling write, tried again while the database is busy; then the group's next deliveries are free. */
  async #settle(
    operation: string,
    durable: boolean,
    task: (db: Database.Database) => unknown,
  ): Promise<void> {
    try {
      await retry(() => this.#host.write(operation, task, durable), {
        retries: SETTLE_RETRIES,
        initialDelayMs: 20,
        isRetriable: (error) => isRetriable(error),
      });
    } catch {
      // Not settled: the lease runs out and the messages come again (at least once).
      return;
    }
    // The streams' next deliveries are free now: wake the group's idle consumers in this process.
    notify(this.#host.wakeKey);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#abort.abort();
    this.#waker.wake();
    await this.#loop;
    this.#unlisten?.();
    this.#host.forget(this);
  }
}
