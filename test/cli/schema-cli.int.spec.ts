import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { type CliIo, runCli } from '../../src/cli/program.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-cli-');
let n = 0;

/** OrderPlaced v1 as the lock will record it. */
const ORDER_PLACED = {
  type: 'object',
  properties: {
    orderId: { type: 'string' },
    total: { type: 'integer' },
    status: { type: 'string', enum: ['placed', 'paid', 'shipped'] },
    note: { type: 'string' },
  },
  required: ['orderId', 'total', 'status'],
};

/** Writes a registry module (TypeScript, importing 'factum') into a fresh project folder. */
function project(
  schema: object,
  extra = '',
): { cwd: string; io: CliIo & { stdout: () => string; stderr: () => string } } {
  const cwd = join(dir, `p${++n}`);
  const registry = `import { createSchemaRegistry } from 'factum';
export const registry = createSchemaRegistry()
  .register({ type: 'OrderPlaced', category: 'order', version: 1, schema: ${JSON.stringify(schema)} })
  .register({ type: 'OrderShipped', category: 'order', version: 1, schema: { type: 'object', properties: { carrier: { type: 'string' } } } })${extra};
`;
  mkdirSync(cwd, { recursive: true });
  writeFileSync(join(cwd, 'schemas.ts'), registry);
  let out = '';
  let err = '';
  return {
    cwd,
    io: {
      cwd,
      out: (t) => {
        out += t;
      },
      err: (t) => {
        err += t;
      },
      stdout: () => out,
      stderr: () => err,
    },
  };
}

async function lockThenCheck(changed: object, extra = '') {
  const { cwd, io } = project(ORDER_PLACED);
  expect(await runCli(['schema', 'lock', '--registry', 'schemas.ts'], io)).toBe(0);
  // A fresh module file: the first one stays cached in this process.
  const next = project(changed, extra);
  writeFileSync(
    join(next.cwd, 'factum.schema.lock.json'),
    readFileSync(join(cwd, 'factum.schema.lock.json')),
  );
  const code = await runCli(['schema', 'check', '--registry', 'schemas.ts'], next.io);
  return { code, out: next.io.stdout(), err: next.io.stderr() };
}

const withProps = (props: Record<string, unknown>, required = ORDER_PLACED.required) => ({
  ...ORDER_PLACED,
  properties: { ...ORDER_PLACED.properties, ...props },
  required,
});
const without = (name: string) => {
  const { [name]: _, ...rest } = ORDER_PLACED.properties as Record<string, unknown>;
  return { ...ORDER_PLACED, properties: rest };
};

describe('factum schema lock / check', () => {
  it('locks, then passes an unchanged registry', async () => {
    const { io, cwd } = project(ORDER_PLACED);
    expect(await runCli(['schema', 'lock', '--registry', 'schemas.ts'], io)).toBe(0);
    expect(io.stdout()).toBe('Locked 2 event types in factum.schema.lock.json\n');
    const lock = JSON.parse(readFileSync(join(cwd, 'factum.schema.lock.json'), 'utf8'));
    expect(lock.factumSchemaLock).toBe(1);
    expect(lock.types.OrderPlaced.versions['1']).toEqual(ORDER_PLACED);
    expect(await runCli(['schema', 'check', '--registry', 'schemas.ts'], io)).toBe(0);
    expect(io.stdout()).toContain('Schemas match factum.schema.lock.json.');
  });

  const breakingCases: [string, object, string][] = [
    [
      'a removed field',
      without('note'),
      "✗ BREAKING OrderPlaced v1: field 'note' was removed [field-removed]",
    ],
    [
      'a renamed field',
      { ...without('note'), properties: { ...without('note').properties, remark: { type: 'string' } } },
      "✗ BREAKING OrderPlaced v1: field 'note' was renamed to 'remark' [field-renamed]",
    ],
    [
      'a changed type',
      withProps({ total: { type: 'string' } }),
      "✗ BREAKING OrderPlaced v1: 'total' changed type from integer to string [type-changed]",
    ],
    [
      'a new required field without a default',
      withProps({ currency: { type: 'string' } }, [...ORDER_PLACED.required, 'currency']),
      "✗ BREAKING OrderPlaced v1: new required field 'currency' has no default [required-added]",
    ],
    [
      'a narrowed enum',
      withProps({ status: { type: 'string', enum: ['placed', 'paid'] } }),
      `✗ BREAKING OrderPlaced v1: 'status' no longer accepts "shipped" [enum-narrowed]`,
    ],
  ];
  for (const [name, schema, line] of breakingCases) {
    it(`fails on ${name}, naming the type and version`, async () => {
      const { code, out } = await lockThenCheck(schema);
      expect(code).toBe(1);
      expect(out).toContain(`${line}\n`);
      expect(out).toContain('1 breaking change against factum.schema.lock.json');
    });
  }

  it('passes additive optional fields and a required field with a default, and lists them', async () => {
    const { code, out } = await lockThenCheck(
      withProps({ giftWrap: { type: 'boolean' }, currency: { type: 'string', default: 'USD' } }, [
        ...ORDER_PLACED.required,
        'currency',
      ]),
    );
    expect(code).toBe(0);
    expect(out).toContain("  compatible OrderPlaced v1: new optional field 'giftWrap' [field-added]");
    expect(out).toContain('No breaking change against factum.schema.lock.json (2 compatible)');
  });

  it('passes a new version with an upcaster, and fails one without', async () => {
    const v2 = JSON.stringify(
      withProps({ currency: { type: 'string', default: 'USD' } }, [...ORDER_PLACED.required, 'currency']),
    );
    const ok = await lockThenCheck(
      ORDER_PLACED,
      `\n  .register({ type: 'OrderPlaced', version: 2, schema: ${v2} })\n  .upcaster({ type: 'OrderPlaced', fromVersion: 1, toVersion: 2, upcast: (d) => ({ ...d, currency: 'USD' }) })`,
    );
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('compatible OrderPlaced v2: new schema version 2 (locked: v1) [version-added]');
    const missing = await lockThenCheck(
      ORDER_PLACED,
      `\n  .register({ type: 'OrderPlaced', version: 2, schema: ${v2} })`,
    );
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('✗ BREAKING OrderPlaced v2: no upcaster from v1');
  });

  it('finds factum.config.ts and its schemaLock when no --registry is given', async () => {
    const { cwd, io } = project(ORDER_PLACED);
    writeFileSync(
      join(cwd, 'factum.config.ts'),
      "export { registry } from './schemas.ts';\nexport const schemaLock = 'contracts/events.lock.json';\n",
    );
    mkdirSync(join(cwd, 'contracts'));
    expect(await runCli(['schema', 'lock'], io)).toBe(0);
    expect(io.stdout()).toContain('contracts/events.lock.json');
    expect(await runCli(['schema', 'check'], io)).toBe(0);
  });

  it('exits 2 with a clear message on a missing lock, a missing module or a module without a registry', async () => {
    const { cwd, io } = project(ORDER_PLACED);
    expect(await runCli(['schema', 'check', '--registry', 'schemas.ts'], io)).toBe(2);
    expect(io.stderr()).toContain('No lock file at factum.schema.lock.json: run `factum schema lock`');
    expect(await runCli(['schema', 'check', '--registry', 'nope.ts'], io)).toBe(2);
    expect(io.stderr()).toContain('Registry module not found: nope.ts');
    writeFileSync(join(cwd, 'empty.mjs'), 'export const something = 1;\n');
    expect(await runCli(['schema', 'lock', '--registry', 'empty.mjs'], io)).toBe(2);
    expect(io.stderr()).toContain('empty.mjs does not export a schema registry');
    writeFileSync(join(cwd, 'factum.schema.lock.json'), '{"nope":1}');
    expect(await runCli(['schema', 'check', '--registry', 'schemas.ts'], io)).toBe(2);
    expect(io.stderr()).toContain('is not a Factum schema lock');
    expect(await runCli(['schema', 'frobnicate'], io)).toBe(2);
  });
});

describe('factum schema export --asyncapi', () => {
  it('writes an AsyncAPI 3.0 document that the official parser accepts', async () => {
    const v2 = JSON.stringify(
      withProps({ currency: { type: 'string', enum: ['USD', 'EUR'], default: 'USD' } }),
    );
    const { cwd, io } = project(
      ORDER_PLACED,
      `\n  .register({ type: 'OrderPlaced', version: 2, schema: ${v2} })\n  .upcaster({ type: 'OrderPlaced', fromVersion: 1, toVersion: 2, upcast: (d) => d })\n  .register({ type: 'PaymentReceived', category: 'payment', version: 1, description: 'Money arrived', schema: { type: 'object', properties: { amount: { type: 'integer' } }, required: ['amount'] } })\n  .register({ type: 'Pinged', version: 1, schema: { type: 'object' } })`,
    );
    expect(
      await runCli(
        [
          'schema',
          'export',
          '--asyncapi',
          '--registry',
          'schemas.ts',
          '--out',
          'asyncapi.json',
          '--title',
          'Shop',
          '--doc-version',
          '2.1.0',
        ],
        io,
      ),
    ).toBe(0);
    expect(io.stderr()).toContain('Wrote AsyncAPI 3.0 document to asyncapi.json');
    const text = readFileSync(join(cwd, 'asyncapi.json'), 'utf8');
    const { document, diagnostics } = await new Parser().parse(text);
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toBe('3.0.0');
    expect(document!.info().title()).toBe('Shop');
    expect(document!.info().version()).toBe('2.1.0');
    expect(
      document!
        .channels()
        .all()
        .map((c) => [c.id(), c.address()])
        .sort(),
    ).toEqual([
      ['events', 'events'],
      ['order', 'order'],
      ['payment', 'payment'],
    ]);
    const order = document!.channels().get('order')!;
    expect(
      order
        .messages()
        .all()
        .map((m) => m.id())
        .sort(),
    ).toEqual(['OrderPlaced.v1', 'OrderPlaced.v2', 'OrderShipped.v1']);
    const v2Message = order.messages().get('OrderPlaced.v2')!;
    expect(v2Message.name()).toBe('OrderPlaced');
    expect(v2Message.payload()!.properties()!.currency!.enum()).toEqual(['USD', 'EUR']);
    expect(document!.operations().all()).toHaveLength(3);
    // To standard output without --out.
    const stdout = project(ORDER_PLACED);
    expect(await runCli(['schema', 'export', '--asyncapi', '--registry', 'schemas.ts'], stdout.io)).toBe(0);
    expect(JSON.parse(stdout.io.stdout()).asyncapi).toBe('3.0.0');
    expect(await runCli(['schema', 'export', '--registry', 'schemas.ts'], stdout.io)).toBe(2);
  });
});
