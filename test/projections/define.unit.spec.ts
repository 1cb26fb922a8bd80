import { ErrorCodes, isFactumError, type StoredEvent } from 'factum';
import { defineProjection, type ProjectionDefinition } from 'factum/projections';
import { describe, expect, it } from 'vitest';

const base: ProjectionDefinition = { name: 'orders', handles: ['OrderPlaced'], handle() {} };
const event = (streamId: string, data: object = {}) => ({ streamId, data }) as unknown as StoredEvent;

describe('defineProjection', () => {
  it('fills defaults and freezes the result', () => {
    const p = defineProjection(base);
    expect(p).toMatchObject({
      name: 'orders',
      handles: ['OrderPlaced'],
      documents: {},
      tables: [],
      batchSize: 2_000,
      version: 1,
    });
    expect(p.retry).toEqual({ retries: 3, initialDelayMs: 100, maxDelayMs: 2_000, factor: 2, jitter: 0.2 });
    expect(p.sla).toBeUndefined();
    expect(Object.isFrozen(p)).toBe(true);
  });

  it('keys events by stream by default, by a function, or not at all', () => {
    expect(defineProjection(base).keyOf(event('order-1'))).toBe('order-1');
    const byCustomer = defineProjection({
      ...base,
      orderingKey: (e) => (e.data as { customer: string }).customer,
    });
    expect(byCustomer.keyOf(event('order-1', { customer: 'ada' }))).toBe('ada');
    expect(defineProjection({ ...base, orderingKey: null }).keyOf(event('order-1'))).toBeNull();
  });

  it.each([
    ['a name that is not an identifier', { name: 'Orders-1' }, 'name'],
    ['a reserved name', { name: 'factum_x' }, 'name'],
    ['a name with a double underscore', { name: 'a__b' }, 'name'],
    ['no handled types', { handles: [] }, 'handles'],
    ['an empty type', { handles: [''] }, 'handles'],
    ['no handler', { handle: undefined }, 'handle'],
    ['a bad collection name', { documents: { 'Bad Name': {} } }, 'documents.Bad Name'],
    ['an index on a bad field', { documents: { docs: { indexes: ["x'); --"] } } }, 'documents.docs.indexes'],
    ['an empty compound index', { documents: { docs: { indexes: [[]] } } }, 'documents.docs.indexes'],
    ['a name declared twice', { documents: { docs: {} }, tables: ['docs'] }, 'tables'],
    ['a non-positive SLA', { sla: { maxLagMs: 0 } }, 'sla.maxLagMs'],
    ['negative retries', { retry: { retries: -1 } }, 'retry.retries'],
    ['a batch size of 0', { batchSize: 0 }, 'batchSize'],
    ['version 0', { version: 0 }, 'version'],
    ['an ordering key that is neither', { orderingKey: 'category' }, 'orderingKey'],
  ])('refuses %s', (_, change, field) => {
    let error: unknown;
    try {
      defineProjection({ ...base, ...change } as ProjectionDefinition);
    } catch (e) {
      error = e;
    }
    expect(isFactumError(error, ErrorCodes.INVALID_ARGUMENT)).toBe(true);
    expect(error).toMatchObject({ field });
  });
});
