// How `factum sagas` prints instances: the list's rows, one instance's state, and one line per event
// of its history. Pure functions of what the saga index and the instance's stream hold.
import type { StoredEvent } from '../core/envelope.js';
import type { SagaFailure, SagaInstance, SagaStatus, SagaSummary } from '../sagas/index.js';
import { clip, formatSpan } from './text.js';

export { formatSpan, table } from './text.js';

const FINAL: ReadonlySet<SagaStatus> = new Set(['completed', 'compensated', 'aborted']);

export const listHeader = ['SAGA', 'CORRELATION', 'STATUS', 'STEP', 'PHASE/ATTEMPT', 'UPDATED', 'PARKED'];

/** One row of `factum sagas list`: a finished instance has no pending step. */
export function listRow(s: SagaSummary): string[] {
  const pending = !FINAL.has(s.status) && s.step !== undefined;
  return [
    s.saga,
    s.correlationId,
    s.status,
    pending ? s.step! : '-',
    pending ? `${s.phase} ${s.attempt}` : '-',
    s.updatedAt,
    s.parkedReason ?? '',
  ];
}

/** The state part of `factum sagas show`, one `label: value` line each. */
export function instanceLines(instance: SagaInstance, now: number): string[] {
  const first = instance.events[0];
  const last = instance.events.at(-1);
  const lines: [string, string][] = [
    ['status', instance.status],
    ['definition', `version ${instance.version}`],
    ['started', first === undefined ? '-' : first.timestamp.toISOString()],
    [
      'updated',
      last === undefined ? '-' : `${last.timestamp.toISOString()} (stream version ${last.version})`,
    ],
    ['pending', pendingStep(instance)],
    ['succeeded', instance.succeeded.join(', ') || '-'],
    ['compensated', instance.compensated.join(', ') || '-'],
  ];
  if (instance.failure !== undefined) lines.push(['failure', describeFailure(instance.failure)]);
  if (instance.parked !== undefined) {
    const { reason, step, error } = instance.parked;
    lines.push([
      'parked',
      `${reason}${step === undefined ? '' : ` at ${step}`}${error === undefined ? '' : `: ${error}`}`,
    ]);
  }
  const aborted = instance.status === 'aborted' ? lastOf(instance.events, 'SagaAborted') : undefined;
  if (aborted !== undefined) {
    const by = aborted.data as { actor?: string; reason?: string };
    lines.push(['aborted', `by ${by.actor ?? '?'}: ${by.reason ?? ''}`]);
  }
  lines.push(['timeouts', instance.timeouts.length === 0 ? '-' : '']);
  const width = Math.max(...lines.map(([label]) => label.length)) + 2;
  const out = lines.map(([label, value]) => `  ${`${label}:`.padEnd(width)}${value}`.trimEnd());
  for (const t of [...instance.timeouts].sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())) {
    out.push(
      `    ${t.token.startsWith(`${t.purpose}:`) ? t.token : `${t.token} (${t.purpose})`} due ${t.dueAt.toISOString()} (${relative(t.dueAt.getTime() - now)})`,
    );
  }
  return out;
}

function pendingStep(instance: SagaInstance): string {
  if (instance.step === undefined) return '-';
  const what = instance.phase === 'compensation' ? 'compensation' : 'action';
  const waiting =
    instance.waiting === 'reply'
      ? ', waiting for its reply'
      : instance.waiting === 'retry'
        ? ', waiting to be sent again'
        : instance.status === 'parked'
          ? ', parked'
          : '';
  return `${instance.step} (${what}, attempt ${instance.attempt}${waiting})`;
}

function describeFailure(failure: SagaFailure): string {
  switch (failure.reason) {
    case 'failed':
      return `${failure.step ?? 'a step'} failed${failure.reply === undefined ? '' : ` (${failure.reply.type})`}`;
    case 'timeout':
      return `${failure.step ?? 'a step'} timed out`;
    case 'deadline':
      return `the saga's deadline passed${failure.step === undefined ? '' : ` during ${failure.step}`}`;
    case 'operator':
      return 'an operator asked to compensate';
    default:
      return String(failure.reason);
  }
}

function lastOf(events: readonly StoredEvent[], type: string): StoredEvent | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (events[i]!.type === type) return events[i];
  return undefined;
}

function relative(ms: number): string {
  const span = formatSpan(Math.abs(ms));
  return ms >= 0 ? `in ${span}` : `${span} overdue`;
}

export const historyHeader = ['VERSION', 'TIME', 'TYPE', 'DATA'];

/** One row of an instance's history; the commands the saga sent are marked. */
export function historyRow(e: StoredEvent): string[] {
  const command = e.metadata.messageKind === 'command';
  return [
    String(e.version),
    e.timestamp.toISOString(),
    command ? `→ ${e.type} (command)` : e.type,
    clip(command || !e.type.startsWith('Saga') ? JSON.stringify(e.data) : sagaEventSummary(e), 100),
  ];
}

/** Fields each saga event repeats from its neighbours or keeps for the machine only. */
const HIDDEN: Record<string, readonly string[]> = {
  SagaStarted: ['saga', 'correlationId'],
  SagaOperatorActionRecorded: ['requestId', 'actor', 'reason'],
};
const ALWAYS_HIDDEN = new Set(['index', 'unknown', 'key', 'awaits']);

/** `key=value` for a saga event's fields: a message it refers to by its type, a failure in words. */
function sagaEventSummary(e: StoredEvent): string {
  if (typeof e.data !== 'object' || e.data === null) return JSON.stringify(e.data) ?? '';
  const hidden = HIDDEN[e.type] ?? [];
  const parts: string[] = [];
  for (const [key, value] of Object.entries(e.data as Record<string, unknown>)) {
    if (value === undefined || ALWAYS_HIDDEN.has(key) || hidden.includes(key)) continue;
    parts.push(`${key}=${fieldText(key, value)}`);
  }
  return parts.join(' ');
}

function fieldText(key: string, value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value !== 'object' || value === null) return String(value);
  if (key === 'failure') return JSON.stringify(describeFailure(value as SagaFailure));
  const type = (value as { type?: unknown }).type;
  if (typeof type === 'string') return type;
  return JSON.stringify(value);
}
