import { describe } from 'vitest';
import { describeAppendAndRead } from './append-read.contract.js';
import { describeBadInput } from './bad-input.contract.js';
import { describeClose } from './close.contract.js';
import { describeConcurrency } from './concurrency.contract.js';
import type { StoreContractOptions, StoreFactory } from './fixtures.js';
import { describeGlobalLog } from './global-log.contract.js';
import { describeIdempotentRetry } from './idempotent-retry.contract.js';
import { describeSubscriptions } from './subscriptions.contract.js';
import { describeTemporalReads } from './temporal.contract.js';

/**
 * The event store conformance suite: every store Factum ships, and any store you write, must pass it.
 * `factory` returns a new, empty store for each test; the suite closes it afterwards.
 *
 * ```ts
 * describeEventStoreContract('sqlite', () => createSqliteStore(tempFile()));
 * ```
 */
export function describeEventStoreContract(
  name: string,
  factory: StoreFactory,
  options: StoreContractOptions = {},
): void {
  describe(`EventStore contract: ${name}`, () => {
    describeAppendAndRead(factory);
    describeConcurrency(factory);
    describeIdempotentRetry(factory);
    describeGlobalLog(factory, options);
    describeSubscriptions(factory);
    describeTemporalReads(factory);
    describeBadInput(factory);
    describeClose(factory);
  });
}
