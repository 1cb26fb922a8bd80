import { isUuid, newEventId } from 'factum';
import { validate, version } from 'uuid';
import { describe, expect, it } from 'vitest';

describe('newEventId', () => {
  it('makes RFC 9562 UUIDv7 ids that a reference implementation accepts', () => {
    for (let i = 0; i < 10_000; i++) {
      const id = newEventId();
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(7);
      expect(isUuid(id)).toBe(true);
    }
  });

  it('encodes the creation time in the first 48 bits', () => {
    const before = Date.now();
    const id = newEventId();
    const after = Date.now();
    const ms = Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after + 1);
  });

  it('is strictly increasing within a process, even many ids per millisecond', () => {
    let previous = newEventId();
    for (let i = 0; i < 100_000; i++) {
      const next = newEventId();
      expect(next > previous).toBe(true);
      previous = next;
    }
  });
});
