import { hostname } from 'node:os';
import { ErrorCodes, isFactumError, LeaseLostError, ValidationError } from '../core/errors.js';
import { pause } from './pause.js';
import type { FollowStorage, FollowTx, LeaseRecord, SessionLock } from './storage.js';

/**
 * How a process becomes the single active holder of a lease (a projection's runner or rebuilder, a
 * relay):
 * - 'advisory': hold a session advisory lock (PostgreSQL), which the database releases the moment the
 *   holder's connection ends, so a standby takes over within `acquireEveryMs` of a crash, whatever
 *   the ttl and the clocks. Needs a real session: not behind a transaction-pooling proxy.
 * - 'row': a lease row that the holder renews and a standby takes once it has expired (`ttlMs`): works
 *   on every storage and behind PgBouncer in transaction mode.
 * Either way the lease row carries the fencing token every commit of the holder checks, and the
 * holder for status.
 */
export type LeaseStrategy = 'advisory' | 'row';

export interface LeaseOptions {
  /** Default: 'advisory' where the storage has session locks (PostgreSQL), else 'row'. */
  strategy?: LeaseStrategy;
  /** How long a lease lasts without renewal (ms): a dead holder is replaced after at most this. */
  ttlMs?: number;
  /** How often the holder renews (ms, default ttlMs / 3). */
  renewEveryMs?: number;
  /** How often a standby tries to take the lease (ms, default the smaller of 1,000 and ttlMs). */
  acquireEveryMs?: number;
}

export type CheckedLeaseOptions = Required<Omit<LeaseOptions, 'strategy'>> & { strategy?: LeaseStrategy };

/** Fills in the defaults (`defaultTtlMs` when no ttl is given) and refuses an unknown strategy. */
export function checkLeaseOptions(o: LeaseOptions = {}, defaultTtlMs = 5_000): CheckedLeaseOptions {
  const ttlMs = o.ttlMs ?? defaultTtlMs;
  if (o.strategy !== undefined && o.strategy !== 'advisory' && o.strategy !== 'row') {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'lease.strategy',
      `Unknown lease strategy ${JSON.stringify(o.strategy)}: use 'advisory' or 'row'`,
    );
  }
  return {
    ...(o.strategy === undefined ? {} : { strategy: o.strategy }),
    ttlMs,
    renewEveryMs: o.renewEveryMs ?? Math.max(50, Math.floor(ttlMs / 3)),
    acquireEveryMs: o.acquireEveryMs ?? Math.min(1_000, ttlMs),
  };
}

/** Refuses the 'advisory' strategy on a storage without session locks. */
export function assertStrategyAvailable(storage: FollowStorage, options: CheckedLeaseOptions): void {
  if (options.strategy === 'advisory' && storage.sessionLocks === undefined) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'lease.strategy',
      `The ${storage.dialect} storage has no session locks: use the 'row' lease strategy`,
    );
  }
}

/** A process-unique owner id: host, pid and a random suffix. */
export function newOwnerId(): string {
  return `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Which lease: its row's `name`, and the transaction `scope` its takeovers and its holder's commits
 * share (a projection's lease is scoped to the projection, so taking it over waits for the batch in
 * flight, whose fencing check would otherwise race with it).
 */
export interface LeaseName {
  name: string;
  scope: string;
}

/**
 * Takes the lease for `owner` when it is free, expired, or already `owner`'s (or always, with
 * `takeOver`: the caller holds the lease's session lock). A change of holder, and every takeover,
 * increments the fencing token. Returns the lease, or undefined while another live holder has it.
 */
export function tryAcquireLease(
  storage: FollowStorage,
  lease: LeaseName,
  owner: string,
  ttlMs: number,
  options: { takeOver?: boolean } = {},
): Promise<LeaseRecord | undefined> {
  const { name } = lease;
  return storage.transaction(async (tx) => {
    const now = storage.now();
    const current = await tx.getLease(name);
    let next: LeaseRecord;
    if (current === undefined) {
      next = { name, owner, token: 1, acquiredAt: now, renewedAt: now, expiresAt: now + ttlMs };
    } else if (current.owner === owner && current.expiresAt > now && options.takeOver !== true) {
      next = { ...current, renewedAt: now, expiresAt: now + ttlMs };
    } else if (current.expiresAt <= now || options.takeOver === true) {
      next = {
        name,
        owner,
        token: current.token + 1,
        acquiredAt: now,
        renewedAt: now,
        expiresAt: now + ttlMs,
      };
    } else {
      return undefined;
    }
    await tx.putLease(next);
    return next;
  }, lease.scope);
}

/** Extends a held lease; undefined when another holder took it over (the lease is lost). */
export function renewLease(
  storage: FollowStorage,
  lease: LeaseRecord,
  ttlMs: number,
  scope: string,
): Promise<LeaseRecord | undefined> {
  return storage.transaction(async (tx) => {
    const current = await tx.getLease(lease.name);
    if (!isSameHolding(current, lease)) return undefined;
    const now = storage.now();
    const renewed = { ...current, renewedAt: now, expiresAt: now + ttlMs };
    await tx.putLease(renewed);
    return renewed;
  }, scope);
}

/** Gives a held lease up at once (a standby can take it at its next try); keeps the token counting. */
export async function releaseLease(storage: FollowStorage, lease: LeaseRecord, scope: string): Promise<void> {
  await storage.transaction(async (tx) => {
    const current = await tx.getLease(lease.name);
    if (!isSameHolding(current, lease)) return;
    await tx.putLease({ ...current, expiresAt: storage.now() - 1 });
  }, scope);
}

function isSameHolding(current: LeaseRecord | undefined, lease: LeaseRecord): current is LeaseRecord {
  return current !== undefined && current.owner === lease.owner && current.token === lease.token;
}

/** Fencing: throws LeaseLostError inside the caller's transaction when `lease` is no longer the current one. */
export async function checkLease(tx: FollowTx, lease: LeaseRecord): Promise<void> {
  if (!isSameHolding(await tx.getLease(lease.name), lease)) throw new LeaseLostError(lease.name, lease.owner);
}

/** A lease held by this process: its row (fencing token) and, with the 'advisory' strategy, its session lock. */
export class HeldLease {
  readonly #storage: FollowStorage;
  readonly #lock: SessionLock | undefined;
  readonly scope: string;
  #record: LeaseRecord;

  constructor(storage: FollowStorage, record: LeaseRecord, scope: string, lock: SessionLock | undefined) {
    this.#storage = storage;
    this.#record = record;
    this.scope = scope;
    this.#lock = lock;
  }

  get record(): LeaseRecord {
    return this.#record;
  }

  /** Fencing, inside a transaction of the lease's scope: throws LeaseLostError once replaced. */
  check(tx: FollowTx): Promise<void> {
    return checkLease(tx, this.#record);
  }

  /** Saves a checkpoint only while this lease is current, in one transaction of its scope. */
  commitCheckpoint(name: string, position: bigint): Promise<void> {
    return this.#storage.transaction(async (tx) => {
      await this.check(tx);
      await tx.setCheckpoint(name, position);
    }, this.scope);
  }

  /**
   * Renews the row every `renewEveryMs` (and checks the session lock is still held) until `signal`
   * aborts; calls `onLost` once when another holder took over or the lock's connection is gone.
   * Renewal errors (a busy database) are reported and retried at the next tick: fencing protects
   * the writes meanwhile.
   */
  async keep(
    options: CheckedLeaseOptions,
    signal: AbortSignal,
    onLost: () => void,
    onError: (error: unknown) => void,
  ): Promise<void> {
    while (!signal.aborted) {
      await pause(options.renewEveryMs, signal);
      if (signal.aborted) return;
      try {
        if (this.#lock !== undefined && !(await this.#lock.alive())) {
          onLost();
          return;
        }
        const renewed = await renewLease(this.#storage, this.#record, options.ttlMs, this.scope);
        if (renewed === undefined) {
          onLost();
          return;
        }
        this.#record = renewed;
      } catch (error) {
        onError(error);
      }
    }
  }

  /** Gives the lease up (row and lock); `rowToo: false` when the row is no longer ours to touch. */
  async release(rowToo = true): Promise<void> {
    try {
      if (rowToo) await releaseLease(this.#storage, this.#record, this.scope);
    } finally {
      await this.#lock?.release();
    }
  }
}

/**
 * Takes the lease by the configured strategy (see LeaseStrategy), or returns undefined while another
 * holder has it. With 'advisory', whoever gets the session lock takes the row over whatever its
 * expiry (the previous holder's connection is gone, so it is dead or cut off); the takeover
 * transaction waits for the previous holder's commit in flight, and its new token fences later ones.
 */
export async function acquireLease(
  storage: FollowStorage,
  lease: LeaseName,
  owner: string,
  options: CheckedLeaseOptions,
): Promise<HeldLease | undefined> {
  const strategy = options.strategy ?? (storage.sessionLocks === undefined ? 'row' : 'advisory');
  if (strategy === 'row') {
    const record = await tryAcquireLease(storage, lease, owner, options.ttlMs);
    return record === undefined ? undefined : new HeldLease(storage, record, lease.scope, undefined);
  }
  assertStrategyAvailable(storage, { ...options, strategy });
  const lock = await storage.sessionLocks!.tryLock(lease.name);
  if (lock === undefined) return undefined;
  try {
    const record = await tryAcquireLease(storage, lease, owner, options.ttlMs, { takeOver: true });
    if (record === undefined) throw new Error(`lease ${lease.name} was not taken over`);
    return new HeldLease(storage, record, lease.scope, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** How a holding ended: stopped by the caller, lease lost to another holder, or the store closed. */
export type HoldingEnd = 'stopped' | 'lost' | 'closed';

/**
 * Runs `work` while holding `lease`: renews it in the background, and aborts the signal `work` gets
 * when the lease is lost or `stop` aborts. A LeaseLostError or StoreClosedError thrown by `work` ends
 * the holding as 'lost' or 'closed'; any other error is rethrown after the lease is let go. The lease
 * is released at the end: the row too unless it was lost (it is the new holder's) or the store closed.
 */
export async function holdLease(
  lease: HeldLease,
  options: CheckedLeaseOptions,
  stop: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<void>,
  onError: (error: unknown) => void = () => {},
): Promise<HoldingEnd> {
  const holding = new AbortController();
  const relay = () => holding.abort();
  stop?.addEventListener('abort', relay, { once: true });
  if (stop?.aborted === true) holding.abort();
  let end: HoldingEnd = 'stopped';
  const keeper = lease.keep(
    options,
    holding.signal,
    () => {
      end = 'lost';
      holding.abort();
    },
    onError,
  );
  try {
    await work(holding.signal);
  } catch (error) {
    if (isFactumError(error, ErrorCodes.LEASE_LOST)) end = 'lost';
    else if (isFactumError(error, ErrorCodes.STORE_CLOSED)) end = 'closed';
    else throw error;
  } finally {
    holding.abort();
    stop?.removeEventListener('abort', relay);
    await keeper;
    await lease.release(end === 'stopped').catch(() => {});
  }
  return end;
}

export interface LeadershipOptions {
  storage: FollowStorage;
  lease: LeaseName;
  owner: string;
  options: CheckedLeaseOptions;
  /** Ends the competition: the work in hand is aborted and the lease released. */
  stop: AbortSignal;
  /** Runs while the lease is held; its signal aborts when the lease is lost or `stop` aborts. */
  work: (lease: HeldLease, signal: AbortSignal) => Promise<void>;
  /** Errors of acquiring, renewing or of `work` (which then restarts after a backoff). */
  onError?: (error: unknown) => void;
  /** 'active' once the lease is taken, 'standby' while another holder has it. */
  onState?: (state: 'active' | 'standby') => void;
}

/**
 * Competes for a lease until `stop` aborts: a standby polls every `acquireEveryMs`; the holder runs
 * `work` (renewing the lease meanwhile) and, when `work` fails, runs it again after a backoff while
 * it still holds the lease. Resolves when stopped or when the store closed.
 */
export async function runWhileLeader(o: LeadershipOptions): Promise<void> {
  const report = o.onError ?? (() => {});
  let backoff = 0;
  while (!o.stop.aborted) {
    let held: HeldLease | undefined;
    try {
      held = await acquireLease(o.storage, o.lease, o.owner, o.options);
    } catch (error) {
      if (isFactumError(error, ErrorCodes.STORE_CLOSED)) return;
      report(error);
    }
    if (held === undefined) {
      o.onState?.('standby');
      await pause(o.options.acquireEveryMs, o.stop);
      continue;
    }
    o.onState?.('active');
    const lease = held;
    let failed = false;
    try {
      const end = await holdLease(lease, o.options, o.stop, (signal) => o.work(lease, signal), report);
      if (end === 'closed') return;
      backoff = 0;
    } catch (error) {
      failed = true;
      report(error);
    }
    o.onState?.('standby');
    if (failed) {
      backoff = Math.min(5_000, Math.max(100, backoff * 2));
      await pause(backoff, o.stop);
    }
  }
}
