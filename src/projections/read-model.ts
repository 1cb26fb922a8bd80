import { ProjectionNotFoundError } from '../core/errors.js';
import { assertName } from './names.js';
import type { ProjectionStorage, StorageTx } from './storage.js';
import type { DocumentCollection, DocumentReader, Filter, FindOptions } from './types.js';

/**
 * Reads one collection of the live generation, whatever projection owns it: each call resolves the
 * generation readers see, so a rebuild's swap is picked up at once and readers never see a half-built
 * generation.
 */
export function documentReader<T extends object = Record<string, unknown>>(
  storage: ProjectionStorage,
  collection: string,
): DocumentReader<T> {
  assertName('collection', collection);
  const withCollection = <R>(use: (c: DocumentCollection<T>) => Promise<R>): Promise<R> =>
    storage.read(async (tx) => use(await liveCollection<T>(tx, collection)));
  return {
    get: (id: string) => withCollection((c) => c.get(id)),
    find: (filter?: Filter, options?: FindOptions) => withCollection((c) => c.find(filter, options)),
    count: (filter?: Filter) => withCollection((c) => c.count(filter)),
  };
}

async function liveCollection<T extends object>(
  tx: StorageTx,
  collection: string,
): Promise<DocumentCollection<T>> {
  const owner = await tx.ownerOf(collection);
  const record = owner === undefined ? undefined : await tx.getProjection(owner);
  if (owner === undefined || record === undefined) {
    throw new ProjectionNotFoundError(`collection '${collection}' (no projection declares it)`);
  }
  return tx
    .projectionTx({
      projection: owner,
      generation: record.liveGeneration,
      documents: { [collection]: {} },
      tables: [],
    })
    .documents<T>(collection);
}
