import type { StoredEvent } from '../core/envelope.js';
import {
  ErrorCodes,
  InlineProjectionError,
  ProjectionNotFoundError,
  ValidationError,
} from '../core/errors.js';
import { handledTypes, layoutOf, withDeadline } from './apply.js';
import type { ProjectionStorage, StorageTx } from './storage.js';
import type { Projection, ProjectionTx } from './types.js';

const installed = new WeakMap<ProjectionStorage, Set<string>>();

/**
 * Runs these projections inside every append's transaction: their read-model writes commit with the
 * events, and a handler that throws fails the append (InlineProjectionError) with nothing written.
 * Each projection can be installed once per storage; it stays installed while the store is open.
 */
export function installInlineProjections(
  storage: ProjectionStorage,
  projections: readonly Projection[],
): void {
  if (projections.length === 0) return;
  let names = installed.get(storage);
  if (names === undefined) {
    names = new Set();
    installed.set(storage, names);
  }
  for (const p of projections) {
    if (names.has(p.name)) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'inline',
        `Inline projection ${p.name} is already installed on this store; it would apply every event twice`,
      );
    }
  }
  const list = [...projections];
  // A transaction that carries several appends (PostgreSQL's group commit) looks each projection's
  // live generation up once: the lock its appends hold keeps a swap out until it commits.
  const live = new WeakMap<StorageTx, Map<string, ProjectionTx>>();
  const hook = async (events: readonly StoredEvent[], tx: StorageTx) => {
    let views = live.get(tx);
    if (views === undefined) {
      views = new Map();
      live.set(tx, views);
    }
    for (const projection of list) {
      const handles = handledTypes(projection);
      let ptx = views.get(projection.name);
      for (const event of events) {
        if (!handles.has(event.type)) continue;
        if (ptx === undefined) {
          const record = await tx.getProjection(projection.name);
          if (record === undefined) throw new ProjectionNotFoundError(`projection ${projection.name}`);
          ptx = tx.projectionTx(layoutOf(projection, record.liveGeneration));
          views.set(projection.name, ptx);
        }
        try {
          const result = projection.handle(event, ptx);
          if (result !== undefined) await withDeadline(result, projection, event);
        } catch (error) {
          throw new InlineProjectionError(projection.name, event, error);
        }
      }
    }
  };
  storage.addAppendHook(
    hook,
    list.map((p) => p.name),
  );
  for (const p of list) names.add(p.name);
}
