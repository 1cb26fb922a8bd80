import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { StoredEvent } from 'factum';
import { createSqliteBroker, eventLogSource, startRelay } from 'factum/messaging';
import { registerTracing } from 'factum/otel';
import { createProjections, defineProjection } from 'factum/projections';
import { createSqliteStore } from 'factum/sqlite';
import { waitFor } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';

// "Nothing is allocated when no tracer is registered", checked with V8's sampling heap profiler: every
// allocation sampled while events are appended, relayed, consumed and projected is attributed to its
// stack, and none may come from a tracing frame (Factum's tracing modules, factum/otel or the
// OpenTelemetry packages). The same run with tracing registered shows that the check sees them.

const dir = tempDir('factum-otel-alloc-');

const TRACING_FRAME = /\/src\/(core|messaging|sagas)\/tracing\.ts|\/src\/otel\/|@opentelemetry/;

interface ProfileNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: ProfileNode[];
}

/** The sampled bytes allocated under a tracing frame, by the innermost such frame. */
function tracingAllocations(head: ProfileNode): Map<string, number> {
  const found = new Map<string, number>();
  const walk = (node: ProfileNode, tracingFrame: string | undefined) => {
    const frame = TRACING_FRAME.test(node.callFrame.url)
      ? `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url}`
      : tracingFrame;
    if (frame !== undefined && node.selfSize > 0) found.set(frame, (found.get(frame) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child, frame);
  };
  walk(head, undefined);
  return found;
}

const counted = defineProjection({
  name: 'counted',
  handles: ['OrderPlaced'],
  documents: { counts: {} },
  async handle(event, tx) {
    await tx.documents('counts').upsert(event.streamId, { last: event.id });
  },
});

/** Appends `orders` events one by one, relays them, consumes them and projects them. */
async function hotPaths(file: string, orders: number): Promise<void> {
  const store = createSqliteStore(file);
  const broker = createSqliteBroker({ store, namespace: 'ns' });
  const projections = await createProjections(store, { async: [counted] });
  const got: StoredEvent[] = [];
  const consumer = await broker.consume({ group: 'g', categories: ['order'] }, (event) => {
    got.push(event);
  });
  const relay = startRelay({ source: eventLogSource(store), broker });
  projections.start();
  try {
    let last = 0n;
    for (let i = 0; i < orders; i++) {
      const result = await store.append(`order-${i}`, [
        { type: 'OrderPlaced', data: { n: i }, metadata: { correlationId: `c-${i}` } },
      ]);
      last = result.position;
    }
    await waitFor('every event is consumed', () => got.length === orders, 20_000);
    await projections.waitFor('counted', last);
  } finally {
    await relay.stop();
    await consumer.stop();
    await projections.stop();
    await broker.close();
    await store.close();
  }
}

async function sampled(run: () => Promise<void>): Promise<ProfileNode> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.enable');
    // A small interval samples nearly every allocation; short-lived objects count too.
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 64,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await run();
    const { profile } = await session.post('HeapProfiler.getSamplingProfile');
    await session.post('HeapProfiler.stopSampling');
    return profile.head as unknown as ProfileNode;
  } finally {
    session.disconnect();
  }
}

describe('with no tracer registered', () => {
  it('allocates nothing in tracing code on the append, relay, consume and projection paths', async () => {
    // Warm up first, so module loading is not what the profile shows.
    await hotPaths(join(dir, 'warm.db'), 20);
    const off = tracingAllocations(await sampled(() => hotPaths(join(dir, 'off.db'), 300)));
    expect([...off]).toEqual([]);

    // The same run traced: the check does see tracing allocations.
    const provider = new BasicTracerProvider();
    const unregister = registerTracing({ tracerProvider: provider });
    try {
      const on = tracingAllocations(await sampled(() => hotPaths(join(dir, 'on.db'), 300)));
      const frames = [...on.keys()].join('\n');
      expect(frames).toMatch(/core\/tracing\.ts/);
      expect(frames).toMatch(/src\/otel\//);
    } finally {
      unregister();
      await provider.shutdown();
    }
  });
});
