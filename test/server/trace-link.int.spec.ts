import { createMemoryStore, ErrorCodes } from 'factum';
import { createOperatorApp, hashToken, TokenSet } from 'factum/server';
import { describe, expect, it } from 'vitest';

const tokens = new TokenSet([{ name: 'ops', role: 'reader', sha256: hashToken('reader-secret-0123456789') }]);
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

async function eventBody(traceUrl: string | undefined, traceparent: string | undefined) {
  const store = createMemoryStore();
  await store.append('order-1', [
    { type: 'OrderPlaced', data: {}, metadata: traceparent === undefined ? {} : { traceparent } },
  ]);
  const [event] = (await store.readStream('order-1')).events;
  const { app, close } = createOperatorApp({
    store,
    tokens,
    dashboard: false,
    ...(traceUrl === undefined ? {} : { traceUrl }),
  });
  try {
    const res = await app.request(`/api/v1/events/${event!.id}`, {
      headers: { authorization: 'Bearer reader-secret-0123456789' },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { event: { id: string }; traceUrl?: string };
  } finally {
    await close();
  }
}

describe('the trace link of an event', () => {
  it('fills the configured trace viewer URL with the trace id of the creation context', async () => {
    const body = await eventBody(
      'http://localhost:16686/trace/{traceId}',
      `00-${TRACE_ID}-b7ad6b7169203331-01`,
    );
    expect(body.traceUrl).toBe(`http://localhost:16686/trace/${TRACE_ID}`);
  });

  it('is left out without a template, without a trace context, or for an invalid one', async () => {
    expect((await eventBody(undefined, `00-${TRACE_ID}-b7ad6b7169203331-01`)).traceUrl).toBeUndefined();
    expect((await eventBody('http://tempo/{traceId}', undefined)).traceUrl).toBeUndefined();
    expect((await eventBody('http://tempo/{traceId}', 'not a traceparent')).traceUrl).toBeUndefined();
    expect(
      (await eventBody('http://tempo/{traceId}', `00-${'0'.repeat(32)}-b7ad6b7169203331-01`)).traceUrl,
    ).toBeUndefined();
  });

  it('refuses a template that is not an http(s) URL with {traceId}', () => {
    for (const traceUrl of ['javascript:alert({traceId})', 'http://jaeger/trace/', 'not a url {traceId}']) {
      expect(() => createOperatorApp({ store: createMemoryStore(), tokens, traceUrl })).toThrow(
        expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT, field: 'traceUrl' }),
      );
    }
  });
});
