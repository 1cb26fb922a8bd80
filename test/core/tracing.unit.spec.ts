import { causedBy, createMemoryStore, type TraceContext, type TracingHook } from 'factum';
import { afterEach, describe, expect, it } from 'vitest';
import { setTracingHook } from '../../src/core/tracing.js';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** A hook whose active context is whatever the test says. */
function fixedContext(active: TraceContext | undefined): TracingHook & { lookups: number } {
  const hook = {
    lookups: 0,
    activeContext() {
      hook.lookups++;
      return active;
    },
    inSpan: <T>(_request: unknown, fn: (span: never) => Promise<T>) =>
      fn({ setAttribute() {}, fail() {} } as never),
  };
  return hook;
}

afterEach(() => setTracingHook(undefined));

describe('the trace context of an append', () => {
  it('with no tracer registered, stores the metadata exactly as given', async () => {
    const store = createMemoryStore();
    await store.append('order-1', [
      { type: 'OrderPlaced', data: {} },
      { type: 'OrderPlaced', data: {}, metadata: { correlationId: 'c-1' } },
    ]);
    const { events } = await store.readStream('order-1');
    expect(events.map((e) => e.metadata)).toEqual([{}, { correlationId: 'c-1' }]);
  });

  it('stores the active context in each event, unless the caller set one', async () => {
    const hook = fixedContext({ traceparent: TRACEPARENT, tracestate: 'vendor=1' });
    setTracingHook(hook);
    const store = createMemoryStore();
    const given = { correlationId: 'c-1' };
    const own = '00-11111111111111111111111111111111-2222222222222222-01';
    await store.append('order-1', [
      { type: 'OrderPlaced', data: {} },
      { type: 'OrderPlaced', data: {}, metadata: given },
      { type: 'OrderPlaced', data: {}, metadata: { traceparent: own } },
    ]);
    const { events } = await store.readStream('order-1');
    expect(events.map((e) => e.metadata)).toEqual([
      { traceparent: TRACEPARENT, tracestate: 'vendor=1' },
      { correlationId: 'c-1', traceparent: TRACEPARENT, tracestate: 'vendor=1' },
      { traceparent: own },
    ]);
    // The caller's object is not changed, and the context is looked up once per append.
    expect(given).toEqual({ correlationId: 'c-1' });
    expect(hook.lookups).toBe(1);
  });

  it('stores nothing when no span is active', async () => {
    setTracingHook(fixedContext(undefined));
    const store = createMemoryStore();
    await store.append('order-1', [{ type: 'OrderPlaced', data: {} }]);
    expect((await store.readStream('order-1')).events[0]!.metadata).toEqual({});
  });

  it('refuses a tracestate that is not a string', async () => {
    const store = createMemoryStore();
    await expect(
      store.append('order-1', [
        { type: 'OrderPlaced', data: {}, metadata: { tracestate: 3 as unknown as string } },
      ]),
    ).rejects.toMatchObject({ field: 'events[0].metadata.tracestate' });
  });
});

describe('causedBy and the trace context', () => {
  const cause = { id: 'e-1', metadata: { traceparent: TRACEPARENT, tracestate: 'vendor=1' } };

  it("carries the cause's context when no tracer is registered", () => {
    expect(causedBy(cause)).toEqual({
      correlationId: 'e-1',
      causationId: 'e-1',
      traceparent: TRACEPARENT,
      tracestate: 'vendor=1',
    });
  });

  it('leaves it to the append when a span is active (the span processing the cause)', () => {
    setTracingHook(fixedContext({ traceparent: '00-11111111111111111111111111111111-2222222222222222-01' }));
    expect(causedBy(cause)).toEqual({ correlationId: 'e-1', causationId: 'e-1' });
  });
});
