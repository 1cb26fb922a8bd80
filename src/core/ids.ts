import { v7 } from 'uuid';

/** A new time-ordered event id (UUIDv7, RFC 9562). */
export function newEventId(): string {
  return v7();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` is a canonical UUID string (any version). */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
