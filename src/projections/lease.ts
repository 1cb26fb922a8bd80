import { hostname } from 'node:os';
import { ErrorCodes, LeaseLostError, ValidationError } from '../core/errors.js';
import type { LeaseRecord, ProjectionStorage, SessionLock, StorageTx } from './storage.js';

/**
 * How a process becomes a projection's single active runner (or its one rebuilder):
 * - 'advisory': hold a session advisory lock (PostgreSQL), which the database releases the moment the
 *   holder's connection ends, so a standby takes over within `acquireEveryMs` of a crash, whatever
 *   the ttl and the clocks. Needs a real session: not behind a transaction-pooling proxy.
 * - 'row': a lease row that the holder renews and a standby takes once it has expired (`ttlMs`): works
 *   on every storage and behind PgBouncer in transaction mode.
 * Either way the lease row carries the fencing token every batch checks, and the holder for status.
 */
export type LeaseStrategy = 'advisory' | 'row';

export interface LeaseOptions {
  /** Default: 'advisory' where the storage has session locks (PostgreSQL), else 'row'. */
  strategy?: LeaseStrategy;
  /** How long a lease lasts without renewal (ms, default 5,000): a dead holder is replaced after at most this. */
  ttlMs?: number;
  /** How often the holder renews (ms, default ttlMs / 3). */
  renewEveryMs?: number;
  /** How often a standby tries to take the lease (ms, default 1,000). */
  acquireEveryMs?: number;
}

export type CheckedLeaseOptions = Required<Omit<LeaseOptions, 'strategy'>> & { strategy?: LeaseStrategy };

export function checkLeaseOptions(o: LeaseOptions = {}): CheckedLeaseOptions {
  const ttlMs = o.ttlMs ?? 5_000;
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

/** A process-unique owner id: host, pid and a random suffix. */
export function newOwnerId(): string {
  return `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The transaction scope of a lease: the projection it guards. Lease names are `<kind>:<projection>`
 * (runnerLeaseName, rebuildLeaseName), so taking over a lease excludes the projection's batches,
 * whose fencing check would otherwise race with it.
 */
export function leaseScope(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/**
 * Takes the named lease for `owner` when it is free, expired, or already `owner`'s (or always, with
 * `takeOver`: the caller holds the lease's session lock). A change of holder, and every takeover,
 * increments the fencing token. Returns the lease, or undefined while another live holder has it.
 */
export function tryAcquireLease(
  storage: ProjectionStorage,
  name: string,
  owner: string,
  ttlMs: number,
  options: { takeOver?: boolean } = {},
): Promise<LeaseRecord | undefined> {
  return storage.transaction(async (tx) => {
    const now = storage.now();
    const current = await tx.getLease(name);
    let lease: LeaseRecord;
    if (current === undefined) {
      lease = { name, owner, token: 1, acquiredAt: now, renewedAt: now, expiresAt: now + ttlMs };
    } else if (current.owner === owner && current.expiresAt > now && options.takeOver !== true) {
      lease = { ...current, renewedAt: now, expiresAt: now + ttlMs };
    } else if (current.expiresAt <= now || options.takeOver === true) {
      lease = {
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
    await tx.putLease(lease);
    return lease;
  }, leaseScope(name));
}

/** A lease held by this process: its row (fencing token) and, with the 'advisory' strategy, its session lock. */
export class HeldLease {
  readonly #storage: ProjectionStorage;
  readonly #lock: SessionLock | undefined;
  #record: LeaseRecord;

  constructor(storage: ProjectionStorage, record: LeaseRecord, lock: SessionLock | undefined) {
    this.#storage = storage;
    this.#record = record;
    this.#lock = lock;
  }

  get record(): LeaseRecord {
    return this.#record;
  }

  /** Fencing, inside a transaction scoped to the lease's projection: throws LeaseLostError once replaced. */
  check(tx: StorageTx): Promise<void> {
    return checkLease(tx, this.#record);
  }

  /**
   * Renews the row every `renewEveryMs` (and checks the session lock is still held) until `signal`
   * aborts; calls `onLost` once when another holder took over or the lock's connection is gone.
   */
  keep(
    options: CheckedLeaseOptions,
    signal: AbortSignal,
    onLost: () => void,
    onError: (error: unknown) => void,
  ): Promise<void> {
    return keepLease(this.#storage, this.#record, options, signal, onLost, onError, this.#lock);
  }

  /** Gives the lease up (row and lock); `rowToo: false` when the store is closed and only the lock can go. */
  async release(rowToo = true): Promise<void> {
    try {
      if (rowToo) await releaseLease(this.#storage, this.#record);
    } finally {
      await this.#lock?.release();
    }
  }
}

/**
 * Takes the named lease by the configured strategy (see LeaseStrategy), or returns undefined while
 * another holder has it. With 'advisory', whoever gets the session lock takes the row over whatever
 * its expiry (the previous holder's connection is gone, so it is dead or cut off); the takeover
 * transaction waits for the previous holder's batch in flight, and its new token fences later ones.
 */
export async function acquireLease(
  storage: ProjectionStorage,
  name: string,
  owner: string,
  options: CheckedLeaseOptions,
): Promise<HeldLease | undefined> {
  const strategy = options.strategy ?? (storage.sessionLocks === undefined ? 'row' : 'advisory');
  if (strategy === 'row') {
    const record = await tryAcquireLease(storage, name, owner, options.ttlMs);
    return record === undefined ? undefined : new HeldLease(storage, record, undefined);
  }
  if (storage.sessionLocks === undefined) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'lease.strategy',
      `The ${storage.dialect} projection storage has no session locks: use the 'row' lease strategy`,
    );
  }
  const lock = await storage.sessionLocks.tryLock(name);
  if (lock === undefined) return undefined;
  try {
    const record = await tryAcquireLease(storage, name, owner, options.ttlMs, { takeOver: true });
    if (record === undefined) throw new Error(`lease ${name} was not taken over`);
    return new HeldLease(storage, record, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** Extends a held lease; undefined when another holder took it over (the lease is lost). */
export function renewLease(
  storage: ProjectionStorage,
  lease: LeaseRecord,
  ttlMs: number,
): Promise<LeaseRecord | undefined> {
  return storage.transaction(async (tx) => {
    const current = await tx.getLease(lease.name);
    if (current === undefined || current.owner !== lease.owner || current.token !== lease.token)
      return undefined;
    const now = storage.now();
    const renewed = { ...current, renewedAt: now, expiresAt: now + ttlMs };
    await tx.putLease(renewed);
    return renewed;
  }, leaseScope(lease.name));
}

/** Gives a held lease up at once (a standby can take it at its next try); keeps the token counting. */
export async function releaseLease(storage: ProjectionStorage, lease: LeaseRecord): Promise<void> {
  await storage.transaction(async (tx) => {
    const current = await tx.getLease(lease.name);
    if (current === undefined || current.owner !== lease.owner || current.token !== lease.token) return;
    await tx.putLease({ ...current, expiresAt: storage.now() - 1 });
  }, leaseScope(lease.name));
}

/** Fencing: throws LeaseLostError inside the caller's transaction when `lease` is no longer the current one. */
export async function checkLease(tx: StorageTx, lease: LeaseRecord): Promise<void> {
  const current = await tx.getLease(lease.name);
  if (current === undefined || current.owner !== lease.owner || current.token !== lease.token) {
    throw new LeaseLostError(lease.name, lease.owner);
  }
}

/**
 * Renews `lease` every `renewEveryMs` until `signal` aborts; calls `onLost` once if another holder took
 * over. Renewal errors (a busy database) are retried at the next tick: fencing protects the writes.
 */
export async function keepLease(
  storage: ProjectionStorage,
  lease: LeaseRecord,
  options: CheckedLeaseOptions,
  signal: AbortSignal,
  onLost: () => void,
  onError: (error: unknown) => void,
  lock?: SessionLock,
): Promise<void> {
  let current = lease;
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, options.renewEveryMs);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
    if (signal.aborted) return;
    try {
      if (lock !== undefined && !(await lock.alive())) {
        onLost();
        return;
      }
      const renewed = await renewLease(storage, current, options.ttlMs);
      if (renewed === undefined) {
        onLost();
        return;
      }
      current = renewed;
    } catch (error) {
      onError(error);
    }
  }
}
