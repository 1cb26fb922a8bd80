import {
  createMemoryStore,
  createSchemaRegistry,
  isSchemaRegistry,
  SchemaValidationError,
  type StoredEvent,
  UpcastFailedError,
  ValidationError,
  withSchemas,
} from 'factum';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const stored = (over: Partial<StoredEvent>): StoredEvent => ({
  id: '0190f3c2-7a1e-7c55-9b1e-3f2d4c5b6a79',
  type: 'OrderPlaced',
  streamId: 'order-1',
  category: 'order',
  version: 1,
  position: 1n,
  schemaVersion: 1,
  timestamp: new Date(0),
  data: {},
  metadata: {},
  ...over,
});

describe('schema registry', () => {
  it('refuses bad registrations with a message that names the type and version', () => {
    const registry = createSchemaRegistry().register({ type: 'A', version: 1, schema: { type: 'object' } });
    const cases: [() => unknown, RegExp][] = [
      [() => registry.register({ type: 'A', version: 1, schema: {} }), /A v1 is already registered/],
      [() => registry.register({ type: '', version: 1, schema: {} }), /non-empty string/],
      [
        () => registry.register({ type: 'B', version: 0, schema: {} }),
        /B version must be a positive integer, got 0/,
      ],
      [
        () => registry.register({ type: 'B', version: 1, schema: { type: 'objekt' } }),
        /B v1: invalid JSON Schema/,
      ],
      [
        () => registry.register({ type: 'B', version: 2, schema: { requried: ['x'] } }),
        /B v2: invalid JSON Schema.*requried/,
      ],
      [
        () => registry.register({ type: 'B', version: 3, schema: 'nope' as never }),
        /JSON Schema object or a Zod schema/,
      ],
      [
        () =>
          registry
            .register({ type: 'A', version: 2, schema: {}, category: 'x' })
            .register({ type: 'A', version: 3, schema: {}, category: 'y' }),
        /A is already registered in category x, not y/,
      ],
      [
        () => registry.upcaster({ type: 'A', fromVersion: 2, toVersion: 1, upcast: (d) => d }),
        /higher version \(got v2 → v1\)/,
      ],
      [
        () =>
          registry
            .upcaster({ type: 'A', fromVersion: 1, toVersion: 2, upcast: (d) => d })
            .upcaster({ type: 'A', fromVersion: 1, toVersion: 3, upcast: (d) => d }),
        /upcaster from v1 is already registered \(to v2\)/,
      ],
    ];
    for (const [attempt, message] of cases) {
      let error: unknown;
      try {
        attempt();
      } catch (e) {
        error = e;
      }
      expect(error, String(message)).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('accepts a Zod schema through its JSON Schema', async () => {
    const OrderPlaced = z.object({
      orderId: z.string().uuid(),
      total: z.number().int().nonnegative(),
      currency: z.enum(['USD', 'EUR']).default('USD'),
    });
    const registry = createSchemaRegistry().register({
      type: 'OrderPlaced',
      version: 1,
      schema: OrderPlaced,
    });
    const schema = registry.describe().types.OrderPlaced!.versions['1']!;
    expect(schema).toMatchObject({ type: 'object', required: ['orderId', 'total'] });
    const store = withSchemas(createMemoryStore(), registry);
    await store.append('order-z', [
      { type: 'OrderPlaced', data: { orderId: '0190f3c2-7a1e-7c55-9b1e-3f2d4c5b6a79', total: 5 } },
    ]);
    const error = await store
      .append('order-z', [{ type: 'OrderPlaced', data: { orderId: 'not-a-uuid', total: 1.5 } }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaValidationError);
    expect(new Set((error as SchemaValidationError).violations.map((v) => v.path))).toEqual(
      new Set(['/orderId', '/total']),
    );
  });

  it('keeps its own copy of a registered schema', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const registry = createSchemaRegistry().register({ type: 'A', version: 1, schema });
    schema.properties.a.type = 'number';
    expect(registry.describe().types.A!.versions['1']).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
    });
  });

  it('reads events at the highest registered or upcast-to version', () => {
    const registry = createSchemaRegistry()
      .register({ type: 'A', version: 1, schema: {} })
      .upcaster({ type: 'A', fromVersion: 1, toVersion: 2, upcast: (d) => ({ ...d, two: true }) })
      .upcaster({ type: 'B', fromVersion: 1, toVersion: 2, upcast: (d) => d });
    expect(registry.currentVersion('A')).toBe(2);
    expect(registry.currentVersion('B')).toBe(2);
    expect(registry.currentVersion('C')).toBeUndefined();
    expect(registry.types()).toEqual(['A', 'B']);
    expect(isSchemaRegistry(registry)).toBe(true);
    expect(isSchemaRegistry({ register() {} })).toBe(false);
  });

  it('lets an upcaster change its copy in place, as the reference example does, without touching the event', () => {
    const registry = createSchemaRegistry().upcaster({
      type: 'OrderPlaced',
      fromVersion: 1,
      toVersion: 2,
      upcast: (data) => {
        data.currency = 'USD';
        return data;
      },
    });
    const event = stored({ data: Object.freeze({ orderId: 'o-1', total: 5 }) });
    const upcast = registry.upcast(event);
    expect(upcast).toMatchObject({ schemaVersion: 2, data: { orderId: 'o-1', total: 5, currency: 'USD' } });
    expect(event.data).toEqual({ orderId: 'o-1', total: 5 });
    // Events already at (or above) the current version pass through as they are.
    const current = stored({ schemaVersion: 2, data: { currency: 'EUR' } });
    expect(registry.upcast(current)).toBe(current);
    expect(registry.upcast(stored({ schemaVersion: 7 })).schemaVersion).toBe(7);
  });

  it('wraps an upcaster that throws in UpcastFailedError naming the step and event', () => {
    const registry = createSchemaRegistry().upcaster({
      type: 'OrderPlaced',
      fromVersion: 1,
      toVersion: 2,
      upcast: () => {
        throw new Error('bad data');
      },
    });
    let error: unknown;
    try {
      registry.upcast(stored({}));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UpcastFailedError);
    expect((error as Error).message).toBe(
      'Upcaster OrderPlaced v1 → v2 failed on event 0190f3c2-7a1e-7c55-9b1e-3f2d4c5b6a79: bad data',
    );
  });

  it('describes itself as plain, ordered data', () => {
    const registry = createSchemaRegistry({ strict: true })
      .register({ type: 'B', version: 2, schema: { type: 'object' }, category: 'b', description: 'Bee' })
      .register({ type: 'B', version: 1, schema: { type: 'object' } })
      .register({ type: 'A', version: 1, schema: { type: 'object' } })
      .upcaster({ type: 'B', fromVersion: 1, toVersion: 2, upcast: (d) => d });
    const description = registry.describe();
    expect(JSON.parse(JSON.stringify(description))).toEqual({
      strict: true,
      types: {
        A: { currentVersion: 1, versions: { '1': { type: 'object' } }, upcasters: [] },
        B: {
          category: 'b',
          description: 'Bee',
          currentVersion: 2,
          versions: { '1': { type: 'object' }, '2': { type: 'object' } },
          upcasters: [{ fromVersion: 1, toVersion: 2 }],
        },
      },
    });
    expect(Object.keys(description.types)).toEqual(['A', 'B']);
  });

  it('validates the data as it will be stored: a Date is checked as its ISO string', async () => {
    const registry = createSchemaRegistry().register({
      type: 'Shipped',
      version: 1,
      schema: {
        type: 'object',
        properties: { at: { type: 'string', format: 'date-time' }, note: { type: 'string' } },
        required: ['at'],
      },
    });
    const store = withSchemas(createMemoryStore(), registry);
    await store.append('order-d', [{ type: 'Shipped', data: { at: new Date(0), note: undefined } }]);
    expect((await store.readStream('order-d')).events[0]!.data).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    const error = await store
      .append('order-d', [{ type: 'Shipped', data: { at: 'yesterday' } }])
      .catch((e: unknown) => e);
    expect((error as SchemaValidationError).violations).toEqual([
      { index: 0, type: 'Shipped', schemaVersion: 1, path: '/at', message: 'must match format "date-time"' },
    ]);
  });
});
