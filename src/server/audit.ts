/**
 * Every mutating call of the operator API is recorded as an event before it is carried out: who
 * (the token's name and role), what (the action and its target), why (the reason given). The audit
 * trail is a stream per month, `factum_audit-YYYY-MM`, read back with the admin role.
 */
import { newEventId } from '../core/ids.js';
import type { EventStore } from '../core/store.js';
import type { Principal } from './auth.js';

export const AUDIT_CATEGORY = 'factum_audit';
export const AUDIT_EVENT = 'OperatorActionRecorded';

export interface AuditEntry {
  action: string;
  /** What it acts on: `projection:orders`, `dead-letter:12`, `saga:order_fulfilment/o-1`… */
  target: string;
  reason?: string;
  /** Anything else worth keeping (a filter, dryRun). */
  details?: Record<string, unknown>;
}

export function auditStreamId(at: Date): string {
  return `${AUDIT_CATEGORY}-${at.toISOString().slice(0, 7)}`;
}

/** Appends the audit event of an action about to be carried out; returns its id and stream. */
export async function recordAction(
  store: EventStore,
  by: Principal,
  entry: AuditEntry,
  now = new Date(),
): Promise<{ id: string; streamId: string }> {
  const streamId = auditStreamId(now);
  const id = newEventId();
  await store.append(streamId, [
    {
      id,
      type: AUDIT_EVENT,
      data: { actor: by.name, role: by.role, ...entry },
      metadata: { userId: by.name },
    },
  ]);
  return { id, streamId };
}
