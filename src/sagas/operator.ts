/**
 * Operator actions on a saga instance (retry a step, skip it, compensate now, abort): a request is
 * appended to the instance's own stream with who asked and why; the saga's runner (or the process
 * that asked, when it runs the saga) applies it through the same decision as any input and records
 * the outcome. A request that no longer fits the instance (retrying a saga that is not parked,
 * aborting a finished one) is recorded as not applied: repeating an action is harmless.
 */
import type { StoredEvent } from '../core/envelope.js';
import { ErrorCodes, isFactumError, SagaNotFoundError, ValidationError } from '../core/errors.js';
import { formatValue } from '../core/format.js';
import { newEventId } from '../core/ids.js';
import { sleep } from '../core/retry.js';
import type { EventStore } from '../core/store.js';
import { checkCorrelationId, sagaStreamId } from './definition.js';
import { OPERATOR_ACTIONS, type OperatorAction, SagaEvents } from './engine.js';

export interface OperatorRequest {
  /** Who acts (a user name, a service account). */
  actor: string;
  /** Why: kept on the saga's stream. */
  reason: string;
}

export interface OperatorOutcome {
  requestId: string;
  action: OperatorAction;
  /** false: the request did not fit the instance's state and changed nothing (`note` says why). */
  applied: boolean | undefined;
  note?: string;
}

/** Appends an operator request to the instance's stream; the saga's runner applies it. */
export async function requestSagaAction(
  store: EventStore,
  name: string,
  correlationId: string,
  action: OperatorAction,
  by: OperatorRequest,
): Promise<StoredEvent> {
  checkCorrelationId(correlationId);
  if (!OPERATOR_ACTIONS.includes(action)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'action',
      `action must be one of ${OPERATOR_ACTIONS.join(', ')}, got ${formatValue(action)}`,
    );
  }
  for (const field of ['actor', 'reason'] as const) {
    const value = by?.[field];
    if (typeof value !== 'string' || value.trim() === '') {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        field,
        `an operator action needs a non-empty ${field}, got ${formatValue(value)}`,
      );
    }
  }
  const streamId = sagaStreamId(name, correlationId);
  const id = newEventId();
  const data = { action, actor: by.actor, reason: by.reason };
  try {
    const result = await store.append(
      streamId,
      [{ id, type: SagaEvents.OperatorRequested, data, metadata: { correlationId, userId: by.actor } }],
      {
        expectedVersion: 'stream_exists',
      },
    );
    return {
      id,
      type: SagaEvents.OperatorRequested,
      streamId,
      category: streamId.slice(0, streamId.indexOf('-')),
      version: result.nextExpectedVersion,
      position: result.position,
      schemaVersion: 1,
      timestamp: new Date(),
      data,
      metadata: { correlationId, userId: by.actor },
    };
  } catch (error) {
    if (isFactumError(error, ErrorCodes.CONCURRENCY)) throw new SagaNotFoundError(name, correlationId);
    throw error;
  }
}

/** The recorded outcome of a request (applied undefined: not applied yet). */
export async function readOutcome(
  store: EventStore,
  name: string,
  correlationId: string,
  requestId: string,
): Promise<OperatorOutcome> {
  const read = await store.readStream(sagaStreamId(name, correlationId));
  let action: OperatorAction = 'retry';
  for (const e of read.events) {
    const d = e.data as { requestId?: string; action: OperatorAction; applied?: boolean; note?: string };
    if (e.id === requestId) action = d.action;
    if (e.type === SagaEvents.OperatorActionRecorded && d.requestId === requestId) {
      return {
        requestId,
        action: d.action,
        applied: d.applied,
        ...(d.note === undefined ? {} : { note: d.note }),
      };
    }
  }
  return { requestId, action, applied: undefined };
}

/**
 * Waits up to `waitMs` for the running application to record the outcome of a request (polling the
 * instance's stream); returns the outcome, with `applied` undefined when none was recorded in time.
 */
export async function awaitOutcome(
  store: EventStore,
  name: string,
  correlationId: string,
  requestId: string,
  options: { waitMs: number; pollMs?: number; signal?: AbortSignal },
): Promise<OperatorOutcome> {
  const pollMs = options.pollMs ?? 100;
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    const outcome = await readOutcome(store, name, correlationId, requestId);
    const left = deadline - Date.now();
    if (outcome.applied !== undefined || left <= 0 || options.signal?.aborted === true) return outcome;
    await sleep(Math.min(pollMs, Math.max(1, left)), options.signal);
  }
}
