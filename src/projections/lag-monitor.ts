import type { Emitter } from '../core/emitter.js';
import type { ProjectionEvents } from './events.js';
import { readStatus } from './status.js';
import type { ProjectionStorage } from './storage.js';
import type { Projection } from './types.js';

/**
 * The active runner's lag, SLA and dead-letter alerts. The in-memory check (the oldest event of the
 * batch in progress) runs on every call; the database check one at a time, since an open transaction
 * on the same connection can hold it up.
 */
export class LagMonitor {
  readonly #projection: Projection;
  readonly #storage: ProjectionStorage;
  readonly #emitter: Emitter<ProjectionEvents>;
  readonly #oldestPending: () => number | undefined;
  #breached = false;
  #deadAlerted = 0;
  #checking = false;

  constructor(
    projection: Projection,
    storage: ProjectionStorage,
    emitter: Emitter<ProjectionEvents>,
    oldestPending: () => number | undefined,
  ) {
    this.#projection = projection;
    this.#storage = storage;
    this.#emitter = emitter;
    this.#oldestPending = oldestPending;
  }

  /** Whether the last check found the SLA breached. */
  get breached(): boolean {
    return this.#breached;
  }

  async check(): Promise<void> {
    this.#checkPending();
    if (this.#checking) return;
    this.#checking = true;
    try {
      await this.#checkDatabase();
    } finally {
      this.#checking = false;
    }
  }

  /** While a batch is open the database may be busy with it: its oldest event already tells the lag. */
  #checkPending(): void {
    const pending = this.#oldestPending();
    const sla = this.#projection.sla;
    if (pending === undefined || sla === undefined || this.#breached) return;
    if (!this.#pendingBreaches(sla.maxLagMs)) return;
    this.#breached = true;
    this.#emitter.emit('alert', {
      kind: 'sla-breached',
      projection: this.#projection.name,
      lagMs: this.#storage.now() - pending,
      maxLagMs: sla.maxLagMs,
    });
  }

  /** Whether the batch in progress is older than `maxLagMs` (a database read may be older than it). */
  #pendingBreaches(maxLagMs: number): boolean {
    const pending = this.#oldestPending();
    return pending !== undefined && this.#storage.now() - pending > maxLagMs;
  }

  async #checkDatabase(): Promise<void> {
    const name = this.#projection.name;
    const [status] = await readStatus(this.#storage, { name });
    if (status === undefined) return;
    if (status.sla !== null) {
      const { maxLagMs } = status.sla;
      if (status.breached && !this.#breached) {
        this.#breached = true;
        this.#emitter.emit('alert', {
          kind: 'sla-breached',
          projection: name,
          lagMs: status.lagMs,
          maxLagMs,
          behind: status.behind,
        });
      } else if (!status.breached && this.#breached && !this.#pendingBreaches(maxLagMs)) {
        this.#breached = false;
        this.#emitter.emit('alert', {
          kind: 'sla-recovered',
          projection: name,
          lagMs: status.lagMs,
          maxLagMs,
        });
      }
    }
    if (status.deadLetters > 0 && status.deadLetters !== this.#deadAlerted) {
      this.#emitter.emit('alert', {
        kind: 'dead-letters',
        projection: name,
        dead: status.deadLetters,
        parked: status.parked,
      });
    }
    this.#deadAlerted = status.deadLetters;
  }
}
