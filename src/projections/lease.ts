import { hostname } from 'node:os';
import { LeaseLostError } from '../core/errors.js';
import type { LeaseRecord, ProjectionStorage, StorageTx } from './storage.js';

export interface LeaseOptions {
  /** How long a lease lasts without renewal (ms, default 5,000): a dead holder is replaced after at most this. */
  ttlMs?: number;
  /** How often the holder renews (ms, default ttlMs / 3). */
  renewEveryMs?: number;
  /** How often a standby tries to take the lease (ms, default 1,000). */
  acquireEveryMs?: number;
}

export type CheckedLeaseOptions = Required<LeaseOptions>;

export function checkLeaseOptions(o: LeaseOptions = {}): CheckedLeaseOptions {
  const ttlMs = o.ttlMs ?? 5_000;
  return {
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
 * Takes the named lease for `owner` when it is free, expired, or already `owner`'s. A change of holder
 * increments the fencing token. Returns the lease, or undefined while another live holder has it.
 */
export function tryAcquireLease(
  storage: ProjectionStorage,
  name: string,
  owner: string,
  ttlMs: number,
): Promise<LeaseRecord | undefined> {
  return storage.transaction(async (tx) => {
    const now = storage.now();
    const current = await tx.getLease(name);
    let lease: LeaseRecord;
    if (current === undefined) {
      lease = { name, owner, token: 1, acquiredAt: now, renewedAt: now, expiresAt: now + ttlMs };
    } else if (current.owner === owner && current.expiresAt > now) {
      lease = { ...current, renewedAt: now, expiresAt: now + ttlMs };
    } else if (current.expiresAt <= now) {
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
