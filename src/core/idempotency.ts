import { DuplicateEventIdError } from './errors.js';
import { checkExpectedVersion } from './expected-version.js';
import type { AppendResult } from './store.js';
import type { PreparedAppend } from './validation.js';

/** Where a stored event with a caller-chosen id lives. */
export interface StoredIdRecord {
  streamId: string;
  version: number;
  position: bigint;
}

/**
 * Decides whether an append whose ids (some or all) are already stored is a retry of the append that
 * stored them: every event has a caller id, they sit in this stream in the same order, and they are
 * its tail. Returns the original result for a retry, undefined when none of the ids is stored, and
 * throws DuplicateEventIdError otherwise.
 */
export function resolveRetry(
  append: PreparedAppend,
  found: ReadonlyMap<string, StoredIdRecord>,
  streamVersion: number,
): AppendResult | undefined {
  if (found.size === 0) return undefined;
  const events = append.events;
  const first = found.get(events[0]?.id ?? '');
  let last: StoredIdRecord | undefined;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const record = found.get(event.id);
    if (
      !event.callerId ||
      record === undefined ||
      first === undefined ||
      record.streamId !== append.streamId ||
      record.version !== first.version + i
    ) {
      const stored = events.find((e) => found.has(e.id))!;
      throw new DuplicateEventIdError(append.streamId, stored.id);
    }
    last = record;
  }
  if (last === undefined || last.version !== streamVersion) {
    throw new DuplicateEventIdError(append.streamId, events[0]!.id);
  }
  return { nextExpectedVersion: last.version, position: last.position };
}

/**
 * The rule every store applies to an append before it writes, given the stream's version and where
 * those of the append's caller-given ids that are already stored live (see resolveRetry): an exact
 * retry returns the original result; another stored id throws DuplicateEventIdError; a version that
 * does not satisfy the expected one throws ConcurrencyError. Undefined: write the events.
 */
export function checkAppend(
  append: PreparedAppend,
  found: ReadonlyMap<string, StoredIdRecord>,
  streamVersion: number,
): AppendResult | undefined {
  const retry = resolveRetry(append, found, streamVersion);
  if (retry !== undefined) return retry;
  checkExpectedVersion(append.streamId, append.expectedVersion, streamVersion);
  return undefined;
}
