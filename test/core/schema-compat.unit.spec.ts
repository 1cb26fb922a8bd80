import {
  compareWithLock,
  createSchemaRegistry,
  type JsonSchema,
  lockRegistry,
  parseSchemaLock,
  type SchemaChange,
  type SchemaRegistry,
} from 'factum';
import { describe, expect, it } from 'vitest';

const base = (): JsonSchema => ({
  type: 'object',
  properties: {
    orderId: { type: 'string' },
    total: { type: 'integer' },
    status: { type: 'string', enum: ['placed', 'paid', 'shipped'] },
    customer: {
      type: 'object',
      properties: { name: { type: 'string' }, email: { type: 'string' } },
      required: ['name'],
    },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: { sku: { type: 'string' }, qty: { type: 'integer' } },
        required: ['sku'],
      },
    },
    note: { type: 'string' },
  },
  required: ['orderId', 'total', 'status'],
});

function registry(schema: JsonSchema, extra?: (r: SchemaRegistry) => void): SchemaRegistry {
  const r = createSchemaRegistry().register({ type: 'OrderPlaced', version: 1, schema, category: 'order' });
  extra?.(r);
  return r;
}

function check(mutate: (s: JsonSchema & { properties: Record<string, JsonSchema> }) => void): SchemaChange[] {
  const lock = lockRegistry(registry(base()).describe());
  const changed = base() as JsonSchema & { properties: Record<string, JsonSchema> };
  mutate(changed);
  return compareWithLock(lock, registry(changed).describe());
}

const breaking = (changes: SchemaChange[]) =>
  changes.filter((c) => c.breaking).map((c) => [c.kind, c.type, c.version, c.path]);

describe('schema compatibility check', () => {
  it('finds nothing when nothing changed', () => {
    expect(check(() => {})).toEqual([]);
  });

  it('a removed field is breaking', () => {
    expect(breaking(check((s) => delete s.properties.note))).toEqual([
      ['field-removed', 'OrderPlaced', 1, 'note'],
    ]);
  });

  it('a renamed field is breaking and named with both names', () => {
    const changes = check((s) => {
      s.properties.remark = s.properties.note!;
      delete s.properties.note;
    });
    expect(breaking(changes)).toEqual([['field-renamed', 'OrderPlaced', 1, 'note']]);
    expect(changes[0]!.message).toBe("field 'note' was renamed to 'remark'");
  });

  it('a changed type is breaking, also deep inside objects and arrays', () => {
    expect(breaking(check((s) => (s.properties.total = { type: 'string' })))).toEqual([
      ['type-changed', 'OrderPlaced', 1, 'total'],
    ]);
    const nested = check((s) => {
      (s.properties.customer as { properties: Record<string, JsonSchema> }).properties.email = {
        type: 'number',
      };
      (s.properties.items as { items: { properties: Record<string, JsonSchema> } }).items.properties.qty = {
        type: 'number',
      };
    });
    expect(breaking(nested)).toEqual([
      ['type-changed', 'OrderPlaced', 1, 'customer.email'],
      ['type-changed', 'OrderPlaced', 1, 'items[].qty'],
    ]);
    expect(nested[1]!.message).toBe("'items[].qty' changed type from integer to number");
  });

  it('a new required field without a default is breaking; with a default it is not', () => {
    expect(
      breaking(
        check((s) => {
          s.properties.currency = { type: 'string' };
          (s.required as string[]).push('currency');
        }),
      ),
    ).toEqual([['required-added', 'OrderPlaced', 1, 'currency']]);
    const withDefault = check((s) => {
      s.properties.currency = { type: 'string', default: 'USD' };
      (s.required as string[]).push('currency');
    });
    expect(breaking(withDefault)).toEqual([]);
    expect(withDefault.map((c) => c.kind)).toEqual(['field-added']);
  });

  it('making an optional field required without a default is breaking', () => {
    expect(breaking(check((s) => (s.required as string[]).push('note')))).toEqual([
      ['required-added', 'OrderPlaced', 1, 'note'],
    ]);
  });

  it('a narrowed enum is breaking; a widened one is not', () => {
    const narrowed = check((s) => (s.properties.status = { type: 'string', enum: ['placed', 'paid'] }));
    expect(breaking(narrowed)).toEqual([['enum-narrowed', 'OrderPlaced', 1, 'status']]);
    expect(narrowed[0]!.message).toBe(`'status' no longer accepts "shipped"`);
    const widened = check(
      (s) => (s.properties.status = { type: 'string', enum: ['placed', 'paid', 'shipped', 'lost'] }),
    );
    expect(breaking(widened)).toEqual([]);
    expect(widened.map((c) => c.kind)).toEqual(['enum-widened']);
    expect(breaking(check((s) => (s.properties.note = { type: 'string', enum: ['a'] })))).toEqual([
      ['enum-narrowed', 'OrderPlaced', 1, 'note'],
    ]);
  });

  it('an additive optional field passes, also nested', () => {
    const changes = check((s) => {
      s.properties.giftWrap = { type: 'boolean' };
      (s.properties.customer as { properties: Record<string, JsonSchema> }).properties.phone = {
        type: 'string',
      };
      s.properties.note = { type: 'string', description: 'free text' };
    });
    expect(breaking(changes)).toEqual([]);
    expect(changes.map((c) => [c.kind, c.path])).toEqual([
      ['field-added', 'giftWrap'],
      ['field-added', 'customer.phone'],
    ]);
  });

  it('reports every breaking change at once', () => {
    const changes = check((s) => {
      delete s.properties.note;
      s.properties.total = { type: 'number' };
      s.properties.status = { type: 'string', enum: ['placed'] };
      s.properties.tenant = { type: 'integer', minimum: 1 };
      (s.required as string[]).push('tenant');
    });
    expect(breaking(changes).map(([kind]) => kind)).toEqual([
      'field-removed',
      'required-added',
      'type-changed',
      'enum-narrowed',
    ]);
  });

  it('a removed type or version is breaking; a new type is not', () => {
    const lock = lockRegistry(
      registry(base(), (r) =>
        r.register({ type: 'OrderShipped', version: 1, schema: { type: 'object' } }),
      ).describe(),
    );
    const now = createSchemaRegistry()
      .register({ type: 'OrderPlaced', version: 2, schema: base() })
      .upcaster({ type: 'OrderPlaced', fromVersion: 1, toVersion: 2, upcast: (d) => d })
      .register({ type: 'PaymentReceived', version: 1, schema: { type: 'object' } });
    const changes = compareWithLock(lock, now.describe());
    expect(breaking(changes)).toEqual([
      ['version-removed', 'OrderPlaced', 1, ''],
      ['type-removed', 'OrderShipped', 1, ''],
    ]);
    expect(changes.filter((c) => !c.breaking).map((c) => [c.kind, c.type])).toEqual([
      ['version-added', 'OrderPlaced'],
      ['type-added', 'PaymentReceived'],
    ]);
  });

  it('a new version is compared with the locked current one and needs an upcaster chain to it', () => {
    const lock = lockRegistry(registry(base()).describe());
    const v2 = base() as JsonSchema & { properties: Record<string, JsonSchema>; required: string[] };
    v2.properties.currency = { type: 'string', enum: ['USD', 'EUR'], default: 'USD' };
    v2.required.push('currency');
    const withUpcaster = registry(base(), (r) =>
      r.register({ type: 'OrderPlaced', version: 2, schema: v2 }).upcaster({
        type: 'OrderPlaced',
        fromVersion: 1,
        toVersion: 2,
        upcast: (d) => ({ ...d, currency: 'USD' }),
      }),
    );
    expect(breaking(compareWithLock(lock, withUpcaster.describe()))).toEqual([]);
    const without = registry(base(), (r) => r.register({ type: 'OrderPlaced', version: 2, schema: v2 }));
    const changes = compareWithLock(lock, without.describe());
    expect(breaking(changes)).toEqual([['upcaster-missing', 'OrderPlaced', 2, '']]);
    expect(changes.find((c) => c.breaking)!.message).toBe(
      'no upcaster from v1: events stored as v1 cannot be read as v2',
    );
    // The registry keeps its own copy of v2: changing the object later changes nothing registered.
    delete v2.properties.note;
    expect(breaking(compareWithLock(lock, withUpcaster.describe()))).toEqual([]);
    const removedInV2 = registry(base(), (r) =>
      r
        .register({ type: 'OrderPlaced', version: 2, schema: v2 })
        .upcaster({ type: 'OrderPlaced', fromVersion: 1, toVersion: 2, upcast: (d) => d }),
    );
    expect(breaking(compareWithLock(lock, removedInV2.describe()))).toEqual([
      ['field-removed', 'OrderPlaced', 2, 'note'],
    ]);
  });

  it('treats a change inside anyOf/oneOf/$ref conservatively as breaking', () => {
    expect(
      breaking(check((s) => (s.properties.note = { anyOf: [{ type: 'string' }, { type: 'null' }] }))),
    ).toEqual([['schema-changed', 'OrderPlaced', 1, 'note']]);
  });

  it('parses a lock file and refuses what is not one', () => {
    const lock = lockRegistry(registry(base()).describe());
    expect(parseSchemaLock(JSON.stringify(lock))).toEqual(lock);
    expect(() => parseSchemaLock('{', 'factum.schema.lock.json')).toThrow(
      /factum.schema.lock.json is not JSON/,
    );
    expect(() => parseSchemaLock('{"types":{}}', 'x.json')).toThrow(/x.json is not a Factum schema lock/);
  });
});
