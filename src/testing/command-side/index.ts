import { describe } from 'vitest';
import { describeCommandHandling } from './commands.contract.js';
import type { CommandSideStoreFactory } from './fixtures.js';
import { describeSchemas } from './schemas.contract.js';
import { describeSnapshots } from './snapshots.contract.js';
import { describeTemporal } from './temporal.contract.js';

/**
 * The command-side conformance suite: command handling, snapshots, the schema registry with
 * upcasting, and temporal reads, run against a store. `factory` returns a new, empty store for each
 * test (the suite closes it); the store must keep snapshots (expose `store.snapshots`).
 *
 * ```ts
 * describeCommandSideContract('sqlite', () => createSqliteStore(tempFile()));
 * ```
 */
export function describeCommandSideContract(name: string, factory: CommandSideStoreFactory): void {
  describe(`command-side contract: ${name}`, () => {
    describeCommandHandling(factory);
    describeSnapshots(factory);
    describeSchemas(factory);
    describeTemporal(factory);
  });
}
