import { createHash } from 'node:crypto';

/**
 * A UUID derived from its parts (SHA-1, laid out as an RFC 9562 version 8 UUID): the same input and
 * position in a decision always give the same event id, so appending a redelivered input's output
 * again is an idempotent retry, or refused as a duplicate, never a second copy.
 */
export function derivedEventId(...parts: readonly (string | number)[]): string {
  const hash = createHash('sha1').update(parts.join('\u0000')).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
