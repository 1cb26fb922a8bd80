/** Gap safety as the last read of the global log saw it. */
export interface HeldBackStatus {
  /** How long committed events have been waiting behind an unfinished transaction (0: none are). */
  heldBackMs: number;
  /** When the current hold began; undefined when nothing is held back. */
  heldBackSince: Date | undefined;
  /** Readers see every event below this position (as of the last read; 0n before the first). */
  horizon: bigint;
  /** When the last read happened; undefined before the first. */
  observedAt: Date | undefined;
}

/**
 * Tracks, across every read a store makes, since when readers have been held back: a read is held
 * back when committed events exist at or above its horizon (so they wait for an older transaction).
 * The hold starts at the first read that saw it and ends at the first read that did not.
 */
export class HeldBackTracker {
  #since: Date | undefined;
  #horizon = 0n;
  #observedAt: Date | undefined;

  observe(horizon: bigint, heldBack: boolean): void {
    const now = new Date();
    this.#observedAt = now;
    if (horizon > this.#horizon) this.#horizon = horizon;
    if (!heldBack) this.#since = undefined;
    else this.#since ??= now;
  }

  status(): HeldBackStatus {
    const since = this.#since;
    return {
      heldBackMs: since === undefined ? 0 : Date.now() - since.getTime(),
      heldBackSince: since,
      horizon: this.#horizon,
      observedAt: this.#observedAt,
    };
  }
}
