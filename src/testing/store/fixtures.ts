import { expect } from 'vitest';
import type { NewEvent } from '../../core/envelope.js';
import { ConcurrencyError, DuplicateEventIdError, ErrorCodes, isFactumError } from '../../core/errors.js';
import type { ExpectedVersion } from '../../core/expected-version.js';
import { newEventId } from '../../core/ids.js';
import type { EventStore } from '../../core/store.js';

export type StoreFactory = () => EventStore | Promise<EventStore>;

export interface StoreContractOptions {
  /** Concurrent writers in the global-order test (default 8). */
  writers?: number;
  /** Appends per writer in the global-order test (default 25). */
  appendsPerWriter?: number;
}

export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function ev(type: string, data: Record<string, unknown>): NewEvent {
  return { type, data };
}

export function placed(orderId: number, metadata?: NewEvent['metadata']): NewEvent {
  const event: NewEvent = {
    type: 'OrderPlaced',
    data: { orderId, total: 4999, items: [{ sku: 'a', qty: 2 }], note: null, dropped: undefined },
  };
  if (metadata !== undefined) event.metadata = metadata;
  return event;
}

export function withId(event: NewEvent): NewEvent & { id: string } {
  return { ...event, id: newEventId() };
}

export async function expectConflict(
  attempt: Promise<unknown>,
  expected: { streamId: string; expected: ExpectedVersion; actual: number },
): Promise<void> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConcurrencyError);
  expect(isFactumError(error, ErrorCodes.CONCURRENCY)).toBe(true);
  expect(error).toMatchObject(expected);
}

export async function expectDuplicate(attempt: Promise<unknown>, eventId: string): Promise<void> {
  await expect(attempt).rejects.toBeInstanceOf(DuplicateEventIdError);
  await expect(attempt).rejects.toMatchObject({ eventId });
}
