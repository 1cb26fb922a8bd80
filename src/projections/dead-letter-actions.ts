import type { StoredEvent } from '../core/envelope.js';
import { ErrorCodes, ProjectionNotFoundError, ValidationError } from '../core/errors.js';
import { type ApplyTarget, handledTypes, toDeadLetterError, withDeadline } from './apply.js';
import type { DeadLetter, ProjectionStorage } from './storage.js';
import type { ProjectionTx } from './types.js';

export type DeadLetterAction = 'retry' | 'skip';

/** What became of an operator's retry or skip. */
export interface DeadLetterActionResult {
  id: number;
  action: DeadLetterAction;
  /**
   * 'applied': retried successfully (or skipped), and the events parked behind it were released in
   * order; 'failed': the retry failed again (the dead letter stays, with the new error);
   * 'requested': recorded for the projection's active runner, which runs in another process or is not
   * running yet.
   */
  outcome: 'applied' | 'failed' | 'requested';
  /** Parked events applied after it. */
  released: number;
  /** Set when a released event failed and is now the dead letter its key waits behind. */
  newDeadLetter?: number;
  error?: string;
}

/**
 * Records an operator's request to retry or skip a dead letter. The projection's active runner
 * carries it out (it has the handler code, possibly fixed since). Only 'dead' rows take actions:
 * a parked event moves when the dead letter it waits behind does.
 */
export async function requestDeadLetterAction(
  storage: ProjectionStorage,
  id: number,
  action: DeadLetterAction,
): Promise<DeadLetter> {
  return storage.transaction(async (tx) => {
    const letter = await tx.getDeadLetter(id);
    if (letter === undefined) throw new ProjectionNotFoundError(`dead letter ${id}`);
    if (letter.status !== 'dead') {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'id',
        `Dead letter ${id} (projection ${letter.projection}, stream ${letter.event.streamId}) is parked behind an earlier dead letter of its ordering key; retry or skip that one`,
      );
    }
    await tx.updateDeadLetter(id, { action });
    return { ...letter, action };
  });
}

/**
 * Carries out one requested action, in one transaction: retry applies the event (one attempt, its
 * writes undone if it throws); on success (or skip) the dead letter goes and the events parked behind
 * it are applied in position order, each in a savepoint, until one fails and becomes the new dead
 * letter of its key.
 */
export async function carryOutAction(
  storage: ProjectionStorage,
  target: ApplyTarget,
  id: number,
): Promise<DeadLetterActionResult | undefined> {
  const { projection, layout } = target;
  const handles = handledTypes(projection);
  const apply = async (event: StoredEvent, ptx: ProjectionTx) => {
    if (!handles.has(event.type)) return;
    const result = projection.handle(event, ptx);
    if (result !== undefined) await withDeadline(result, projection, event);
  };
  return storage.transaction(async (tx) => {
    await target.fence(tx);
    const letter = await tx.getDeadLetter(id);
    if (letter === undefined || letter.action === null) return undefined;
    if (letter.projection !== projection.name || letter.generation !== layout.generation) return undefined;
    const action = letter.action;
    const ptx = tx.projectionTx(layout);
    if (action === 'retry') {
      try {
        await tx.savepoint(() => apply(letter.event, ptx));
      } catch (error) {
        const e = toDeadLetterError(error);
        await tx.updateDeadLetter(id, { action: null, attempts: letter.attempts + 1, error: e });
        return {
          id,
          action,
          outcome: 'failed',
          released: 0,
          error: e.message,
        } satisfies DeadLetterActionResult;
      }
    }
    await tx.deleteDeadLetter(id);
    const result: DeadLetterActionResult = { id, action, outcome: 'applied', released: 0 };
    if (letter.orderingKey === null) return result;
    const behind = await tx.listDeadLetters({
      projection: projection.name,
      generation: layout.generation,
      orderingKey: letter.orderingKey,
    });
    for (const p of behind) {
      if (p.status === 'dead') break;
      try {
        await tx.savepoint(() => apply(p.event, ptx));
        await tx.deleteDeadLetter(p.id);
        result.released++;
      } catch (error) {
        await tx.updateDeadLetter(p.id, {
          status: 'dead',
          attempts: p.attempts + 1,
          error: toDeadLetterError(error),
        });
        result.newDeadLetter = p.id;
        break;
      }
    }
    return result;
  }, projection.name);
}
