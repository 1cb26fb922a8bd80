/**
 * The saga index: a projection of every saga instance's stream into two collections, the instances
 * (for status queries by name, state or correlation id) and the pending timeouts (the scheduler's
 * due list, ordered by due time). Derived from the log, so it is as durable as the log: a timeout
 * scheduled in a saga's append is in the index once the projection caught up, across any restart.
 */
import { categoryOf, type StoredEvent } from '../core/envelope.js';
import { creationContext } from '../core/tracing.js';
import { defineProjection, type Projection } from '../projections/index.js';
import { SAGA_EVENT_TYPES, SagaEvents, type SagaStatus } from './engine.js';

export const SAGA_INDEX = 'sagas';
export const INSTANCES = 'saga_instances';
export const TIMEOUTS = 'saga_timeouts';

/** One instance as the index lists it. */
export interface SagaSummary {
  saga: string;
  correlationId: string;
  streamId: string;
  version: number;
  status: SagaStatus;
  step: string | undefined;
  phase: 'action' | 'compensation';
  attempt: number;
  parkedReason?: string;
  parkedFrom?: 'running' | 'compensating';
  startedAt: string;
  updatedAt: string;
}

export interface TimeoutDoc {
  streamId: string;
  saga: string;
  correlationId: string;
  token: string;
  /** Milliseconds since the epoch. */
  dueAt: number;
  /** Where it was scheduled, when tracing: the firing's span links to it. */
  traceparent?: string;
  tracestate?: string;
}

/** The saga and correlation id a saga stream belongs to, or undefined for any other stream. */
export function sagaOfStream(streamId: string): { saga: string; correlationId: string } | undefined {
  const category = categoryOf(streamId);
  if (!category.startsWith('saga_') || category.length === streamId.length) return undefined;
  return { saga: category.slice('saga_'.length), correlationId: streamId.slice(category.length + 1) };
}

export function timeoutDocId(streamId: string, token: string): string {
  return `${streamId}|${token}`;
}

export const sagaIndexProjection: Projection = defineProjection({
  name: SAGA_INDEX,
  handles: [...SAGA_EVENT_TYPES],
  documents: {
    [INSTANCES]: { indexes: ['saga', 'status', 'correlationId', ['saga', 'status']] },
    [TIMEOUTS]: { indexes: ['dueAt'] },
  },
  batchSize: 1_000,
  // A saga's index entries follow its stream's order; different sagas are independent.
  orderingKey: 'stream',
  async handle(event: StoredEvent, tx) {
    const owner = sagaOfStream(event.streamId);
    if (owner === undefined) return;
    const instances = tx.documents<SagaSummary>(INSTANCES);
    const timeouts = tx.documents<TimeoutDoc>(TIMEOUTS);
    const d = event.data as any;
    const id = event.streamId;
    const at = event.timestamp.toISOString();
    const patch = (changes: Partial<SagaSummary>) => instances.patch(id, { ...changes, updatedAt: at });
    switch (event.type) {
      case SagaEvents.Started:
        await instances.upsert(id, {
          saga: owner.saga,
          correlationId: owner.correlationId,
          streamId: id,
          version: d.version,
          status: 'running',
          step: undefined,
          phase: 'action',
          attempt: 0,
          startedAt: at,
          updatedAt: at,
        });
        break;
      case SagaEvents.StepDispatched:
        await patch({ step: d.step, phase: 'action', attempt: d.attempt });
        break;
      case SagaEvents.CompensationDispatched:
        await patch({ step: d.step, phase: 'compensation', attempt: d.attempt });
        break;
      case SagaEvents.CompensationStarted:
        await patch({ status: 'compensating' });
        break;
      case SagaEvents.Parked: {
        const doc = await instances.get(id);
        const from = doc?.status === 'compensating' ? 'compensating' : 'running';
        await patch({ status: 'parked', parkedReason: `${d.reason}: ${d.error ?? ''}`, parkedFrom: from });
        break;
      }
      case SagaEvents.Resumed: {
        const doc = await instances.get(id);
        await patch({ status: doc?.parkedFrom ?? 'running' });
        break;
      }
      case SagaEvents.Completed:
        await patch({ status: 'completed' });
        break;
      case SagaEvents.Compensated:
        await patch({ status: 'compensated' });
        break;
      case SagaEvents.Aborted:
        await patch({ status: 'aborted' });
        break;
      case SagaEvents.TimeoutScheduled:
        await timeouts.upsert(timeoutDocId(id, d.token), {
          streamId: id,
          saga: owner.saga,
          correlationId: owner.correlationId,
          token: d.token,
          dueAt: Date.parse(d.dueAt),
          ...creationContext(event.metadata),
        });
        break;
      case SagaEvents.TimeoutCancelled:
      case SagaEvents.TimeoutFired:
        await timeouts.delete(timeoutDocId(id, d.token));
        break;
    }
  },
});
