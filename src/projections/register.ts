import { layoutOf } from './apply.js';
import { projectionCheckpoint } from './status.js';
import type { ProjectionStorage } from './storage.js';
import type { Projection } from './types.js';

export interface Registration {
  /** The projection is new (or changed from async to inline): its read model must be built from the log. */
  needsBuild: boolean;
  /** The live generation was built by another version of the definition. */
  stale: boolean;
  /** The definition's version is above the live read model's: a rebuild brings it up to date. */
  newer: boolean;
}

/**
 * Records a projection in the registry and makes sure its live generation's tables, indexes and views
 * exist (a new projection starts at generation 1, checkpoint 0). Claims its read-model names.
 */
export function registerProjection(
  storage: ProjectionStorage,
  projection: Projection,
  mode: 'async' | 'inline',
): Promise<Registration> {
  const name = projection.name;
  return storage.transaction(async (tx) => {
    await tx.claimObjects(name, [
      ...Object.keys(projection.documents).map((n) => ({ name: n, kind: 'documents' as const })),
      ...projection.tables.map((n) => ({ name: n, kind: 'table' as const })),
    ]);
    const slaMaxLagMs = projection.sla?.maxLagMs ?? null;
    const record = await tx.getProjection(name);
    if (record === undefined) {
      const layout = layoutOf(projection, 1);
      await tx.createGeneration(layout);
      await projection.setup?.(tx.projectionTx(layout));
      await tx.publishGeneration(layout);
      await tx.setCheckpoint(projectionCheckpoint(name, 1), 0n);
      await tx.putProjection({
        name,
        mode,
        version: projection.version,
        liveGeneration: 1,
        buildingGeneration: null,
        slaMaxLagMs,
      });
      return { needsBuild: mode === 'inline', stale: false, newer: false };
    }
    const layout = layoutOf(projection, record.liveGeneration);
    await tx.createGeneration(layout);
    await tx.publishGeneration(layout);
    let needsBuild = false;
    if (record.mode !== mode) {
      if (mode === 'inline') {
        needsBuild = true;
      } else {
        // Inline kept up with every append so far: the async runner starts at the head.
        await tx.setCheckpoint(projectionCheckpoint(name, record.liveGeneration), await storage.head());
      }
    }
    if (record.mode !== mode || record.slaMaxLagMs !== slaMaxLagMs) {
      await tx.putProjection({ ...record, mode, slaMaxLagMs });
    }
    return {
      needsBuild,
      stale: record.version !== projection.version,
      newer: projection.version > record.version,
    };
  });
}
