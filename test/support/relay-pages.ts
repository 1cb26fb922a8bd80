import { acquireLease, checkLeaseOptions } from 'factum/follow';
import { type RelayPage, type RelaySource, relayLeaseName } from 'factum/messaging';

/**
 * Reads the next page of `source` as a relay would, under the source's lease (taken for this page and
 * given up again by `commit`): an outbox page holds its claim until then.
 */
export async function readPage(
  source: RelaySource,
  limit: number,
): Promise<RelayPage & { commit(): Promise<void> }> {
  const options = checkLeaseOptions({ strategy: 'row', ttlMs: 60_000 });
  const lease = await acquireLease(
    source.storage,
    relayLeaseName(source.name),
    `test-${source.name}`,
    options,
  );
  if (lease === undefined) throw new Error(`the lease of ${source.name} is held by someone else`);
  const page = await source.pages.read(await source.start(), limit);
  return {
    ...page,
    async commit() {
      try {
        await source.commit(page, lease);
      } finally {
        await lease.release();
      }
    },
  };
}
