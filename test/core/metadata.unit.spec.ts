import { causedBy } from 'factum';
import { describe, expect, it } from 'vitest';

describe('causedBy', () => {
  it('keeps the correlation id and points causation at the cause', () => {
    const cause = { id: 'e-2', metadata: { correlationId: 'flow-1', causationId: 'e-1', userId: 'alice' } };
    expect(causedBy(cause)).toEqual({ correlationId: 'flow-1', causationId: 'e-2', userId: 'alice' });
  });

  it('starts a correlation at a cause that had none', () => {
    expect(causedBy({ id: 'e-9', metadata: {} })).toEqual({ correlationId: 'e-9', causationId: 'e-9' });
  });

  it('lets extra keys and a new userId through but never rewrites correlation or causation', () => {
    const cause = { id: 'e-2', metadata: { correlationId: 'flow-1', userId: 'alice', traceparent: 'tp' } };
    expect(
      causedBy(cause, { userId: 'saga', correlationId: 'other', causationId: 'other', step: 2 }),
    ).toEqual({
      correlationId: 'flow-1',
      causationId: 'e-2',
      userId: 'saga',
      traceparent: 'tp',
      step: 2,
    });
  });
});
