import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, isFactumError } from '../core/errors.js';
import {
  checkLease,
  type FollowStorage,
  loadCheckpoint,
  releaseLease,
  renewLease,
  tryAcquireLease,
} from '../follow/index.js';
import { sleep } from './helpers.js';

export interface FollowStorageContractOptions {
  /** A fresh, empty storage (its own file, schema or store) for each test. */
  create(): Promise<FollowStorage>;
  /** Releases what `create` made. */
  dispose?(storage: FollowStorage): Promise<void>;
}

/**
 * The guarantees every follow storage keeps (src/follow/storage.ts): leases with fencing tokens,
 * checkpoints that never move back and store positions losslessly, atomic transactions.
 */
export function describeFollowStorageContract(name: string, options: FollowStorageContractOptions): void {
  describe(`${name}: follow storage contract`, () => {
    let storage: FollowStorage;
    beforeEach(async () => {
      storage = await options.create();
    });
    afterEach(async () => {
      await options.dispose?.(storage);
    });

    it('grants a lease to one holder, hands it over on expiry with a new token, and fences the old one', async () => {
      const lease = { name: 'relay:x', scope: 'relay:x' };
      const a = await tryAcquireLease(storage, lease, 'a', 60_000);
      expect(a).toMatchObject({ owner: 'a', token: 1 });
      expect(await tryAcquireLease(storage, lease, 'b', 60_000)).toBeUndefined();
      expect(await renewLease(storage, a!, 60_000, lease.scope)).toMatchObject({ owner: 'a', token: 1 });
      await releaseLease(storage, a!, lease.scope);
      const b = await tryAcquireLease(storage, lease, 'b', 30);
      expect(b).toMatchObject({ owner: 'b', token: 2 });
      await sleep(60);
      const c = await tryAcquireLease(storage, lease, 'c', 60_000);
      expect(c).toMatchObject({ owner: 'c', token: 3 });
      expect(await renewLease(storage, b!, 60_000, lease.scope)).toBeUndefined();
      await expect(storage.transaction((tx) => checkLease(tx, b!), lease.scope)).rejects.toSatisfy((e) =>
        isFactumError(e, ErrorCodes.LEASE_LOST),
      );
      await storage.transaction((tx) => checkLease(tx, c!), lease.scope);
    });

    it('keeps checkpoints losslessly, never moves one back, and deletes one', async () => {
      expect(await loadCheckpoint(storage, 'relay:a')).toBe(0n);
      await storage.transaction((tx) => tx.setCheckpoint('relay:a', 2n ** 62n + 7n));
      await storage.transaction((tx) => tx.setCheckpoint('relay:a', 5n));
      expect(await loadCheckpoint(storage, 'relay:a')).toBe(2n ** 62n + 7n);
      await storage.transaction((tx) => tx.setCheckpoint('relay:b', 3n));
      await storage.transaction((tx) => tx.deleteCheckpoint('relay:b'));
      expect(await storage.read((tx) => tx.getCheckpoint('relay:b'))).toBeUndefined();
    });

    it('commits a transaction whole or not at all', async () => {
      await expect(
        storage.transaction(async (tx) => {
          await tx.setCheckpoint('relay:c', 9n);
          await tx.putLease({ name: 'l', owner: 'o', token: 1, acquiredAt: 1, renewedAt: 1, expiresAt: 2 });
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect(await loadCheckpoint(storage, 'relay:c')).toBe(0n);
      expect(await storage.read((tx) => tx.getLease('l'))).toBeUndefined();
    });
  });
}
