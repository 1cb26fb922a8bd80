import { join } from 'node:path';
import { context, SpanKind } from '@opentelemetry/api';
import { AsyncHooksContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { registerTracing } from 'factum/otel';
import { createProjections, defineProjection } from 'factum/projections';
import { createSagas, defineSaga } from 'factum/sagas';
import { createSqliteStore } from 'factum/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { fulfilmentServices, orderFulfilment } from '../../examples/sagas/order-fulfilment.js';
import { waitUntil } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-otel-sagas-');
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
context.setGlobalContextManager(new AsyncHooksContextManager().enable());
const unregister = registerTracing({ tracerProvider: provider });
afterAll(async () => {
  unregister();
  context.disable();
  await provider.shutdown();
});

const placed = defineProjection({
  name: 'placed',
  handles: ['OrderPlaced'],
  documents: { placed_orders: {} },
  async handle(event, tx) {
    await tx.documents('placed_orders').upsert(event.streamId, { id: event.id });
  },
});

describe('spans of projection batches, saga steps and reactors', () => {
  it('a projection page links to its events; a saga step is a child of the event that started it', async () => {
    const store = createSqliteStore(join(dir, 'shop.db'));
    const sagas = await createSagas(store, { sagas: [orderFulfilment], reactors: fulfilmentServices(store) });
    const projections = await createProjections(store, { async: [placed] });
    try {
      const request = await provider.getTracer('shop').startActiveSpan('POST /orders', async (span) => {
        await store.append('order-42', [
          { type: 'OrderPlaced', data: { orderId: '42', total: 10, items: [{ sku: 'LAMP', qty: 1 }] } },
        ]);
        span.end();
        return span;
      });
      sagas.start();
      projections.start();
      await waitUntil(
        async () => (await sagas.get('order_fulfilment', '42'))?.status === 'completed',
        10_000,
      );
      const [orderPlaced] = (await store.readStream('order-42')).events;
      await projections.waitFor('placed', orderPlaced!.position);
      expect(await projections.documents('placed_orders').get('order-42')).toEqual({ id: orderPlaced!.id });
      const spans = exporter.getFinishedSpans();
      const traceId = request.spanContext().traceId;
      const creation = spans.find((s) => s.name === 'append order')!;
      expect(creation.parentSpanContext?.spanId).toBe(request.spanContext().spanId);

      const project = spans.find(
        (s) =>
          s.name === 'project placed' &&
          s.links.some((l) => l.context.spanId === creation.spanContext().spanId),
      )!;
      expect(project.kind).toBe(SpanKind.CONSUMER);
      // Batch processing: linked to the creation contexts, not their child.
      expect(project.parentSpanContext).toBeUndefined();
      expect(project.attributes).toMatchObject({
        'factum.projection.name': 'placed',
        'factum.projection.generation': 1,
        'messaging.batch.message_count': 1,
      });

      const started = spans.find(
        (s) => s.name === 'saga order_fulfilment' && s.attributes['factum.event.id'] === orderPlaced!.id,
      )!;
      expect(started.spanContext().traceId).toBe(traceId);
      expect(started.parentSpanContext?.spanId).toBe(creation.spanContext().spanId);
      expect(started.links.map((l) => l.context.spanId)).toEqual([creation.spanContext().spanId]);
      expect(started.attributes).toMatchObject({
        'factum.saga.name': 'order_fulfilment',
        'factum.saga.input': 'event',
        'factum.event.type': 'OrderPlaced',
        'factum.saga.outcome': 'applied',
        'messaging.message.conversation_id': '42',
      });
      // The command the step sends is created in the step's span, in the request's trace.
      const sagaStream = (await store.readStream('saga_order_fulfilment-42')).events;
      const charge = sagaStream.find((e) => e.type === 'ChargePayment')!;
      const chargeAppend = spans.find(
        (s) => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01` === charge.metadata.traceparent,
      )!;
      expect(chargeAppend.name).toBe('append saga_order_fulfilment');
      expect(chargeAppend.parentSpanContext?.spanId).toBe(started.spanContext().spanId);
      // The payments reactor handles the command as a child of its creation, in the same trace.
      const payment = spans.find(
        (s) => s.name === 'react payments' && s.attributes['factum.event.id'] === charge.id,
      )!;
      expect(payment.spanContext().traceId).toBe(traceId);
      expect(payment.parentSpanContext?.spanId).toBe(chargeAppend.spanContext().spanId);
      expect(payment.links.map((l) => l.context.spanId)).toEqual([chargeAppend.spanContext().spanId]);
      expect(payment.attributes).toMatchObject({
        'factum.reactor.name': 'payments',
        'factum.event.type': 'ChargePayment',
        'messaging.message.conversation_id': '42',
      });
    } finally {
      await projections.stop();
      await sagas.stop();
      await store.close();
    }
  });
});

describe('the span of a rebuild', () => {
  it('covers the whole rebuild, with its generation and counts', async () => {
    exporter.reset();
    const store = createSqliteStore(join(dir, 'rebuild.db'));
    const projections = await createProjections(store, { async: [placed] });
    try {
      for (let i = 0; i < 5; i++) {
        await store.append(`order-${i}`, [{ type: 'OrderPlaced', data: { orderId: String(i) } }]);
      }
      const result = await projections.rebuild('placed');
      const rebuild = exporter.getFinishedSpans().filter((s) => s.name === 'rebuild placed');
      expect(rebuild).toHaveLength(1);
      expect(rebuild[0]!.kind).toBe(SpanKind.INTERNAL);
      expect(rebuild[0]!.attributes).toEqual({
        'factum.projection.name': 'placed',
        'factum.projection.generation': result.generation,
        'factum.rebuild.events': 5,
        'factum.rebuild.dead_letters': 0,
      });
      expect(await projections.documents('placed_orders').get('order-4')).toBeDefined();
    } finally {
      await projections.stop();
      await store.close();
    }
  });
});

/** A saga whose one step waits for a reply nobody sends: it times out after `ms`. */
const waiting = (ms: number) =>
  defineSaga({
    name: 'waiting',
    version: 1,
    startedBy: ['OrderPlaced'],
    correlate: (event) => (event.data as { orderId?: string }).orderId,
    steps: [
      {
        name: 'payment',
        action: () => ({ type: 'ChargePayment', data: {} }),
        awaits: { success: ['PaymentSucceeded'], timeout: ms },
      },
    ],
    onCompensated: () => ({ type: 'CancelOrder', data: {} }),
  });

describe('the span of a saga timeout', () => {
  it('is a saga span whose input is the timeout, and the compensation is created in it', async () => {
    exporter.reset();
    const store = createSqliteStore(join(dir, 'timeout.db'));
    const sagas = await createSagas(store, { sagas: [waiting(50)], timeoutPollMs: 20 });
    try {
      await store.append('order-7', [{ type: 'OrderPlaced', data: { orderId: '7' } }]);
      sagas.start();
      await waitUntil(async () => (await sagas.get('waiting', '7'))?.status === 'compensated', 10_000);
      const spans = exporter.getFinishedSpans();
      const timeout = spans.find(
        (s) => s.name === 'saga waiting' && s.attributes['factum.saga.input'] === 'timeout',
      )!;
      expect(timeout.kind).toBe(SpanKind.INTERNAL);
      expect(timeout.attributes).toMatchObject({
        'factum.saga.name': 'waiting',
        'messaging.message.conversation_id': '7',
        'factum.saga.outcome': 'applied',
      });
      // It links to where it was scheduled: the saga's span of the step that sent ChargePayment (when
      // this process fires it from memory), or that span's append of SagaTimeoutScheduled (when it
      // fires from the saga index).
      const scheduling = spans.find(
        (s) => s.name === 'saga waiting' && s.attributes['factum.saga.input'] === 'event',
      )!;
      const schedulingAppend = spans.find(
        (s) => s.parentSpanContext?.spanId === scheduling.spanContext().spanId,
      )!;
      expect(timeout.links).toHaveLength(1);
      expect([scheduling.spanContext().spanId, schedulingAppend.spanContext().spanId]).toContain(
        timeout.links[0]!.context.spanId,
      );
      expect(timeout.links[0]!.context.traceId).toBe(scheduling.spanContext().traceId);
      expect(timeout.parentSpanContext).toBeUndefined();
      const cancel = (await store.readStream('saga_waiting-7')).events.find((e) => e.type === 'CancelOrder')!;
      const context = timeout.spanContext();
      expect(cancel.metadata.traceparent).toMatch(new RegExp(`^00-${context.traceId}-`));
    } finally {
      await sagas.stop();
      await store.close();
    }
  });

  it('links to where it was scheduled when another process fires it, from the saga index', async () => {
    exporter.reset();
    const store = createSqliteStore(join(dir, 'timeout-restart.db'));
    const first = await createSagas(store, { sagas: [waiting(400)], timeoutPollMs: 20 });
    await store.append('order-8', [{ type: 'OrderPlaced', data: { orderId: '8' } }]);
    first.start();
    const scheduledEvent = async () =>
      (await store.readStream('saga_waiting-8')).events.find((e) => e.type === 'SagaTimeoutScheduled');
    await waitUntil(async () => (await scheduledEvent()) !== undefined, 10_000);
    const scheduled = (await scheduledEvent())!;
    // The saga index has the timeout before this runtime goes.
    await first.index.waitFor('sagas', scheduled.position);
    await first.stop();
    const second = await createSagas(store, { sagas: [waiting(400)], timeoutPollMs: 20 });
    try {
      second.start();
      await waitUntil(async () => (await second.get('waiting', '8'))?.status === 'compensated', 10_000);
      const timeout = exporter
        .getFinishedSpans()
        .find((s) => s.name === 'saga waiting' && s.attributes['factum.saga.input'] === 'timeout')!;
      // The index keeps the scheduling event's creation context.
      expect(timeout.links.map((l) => `00-${l.context.traceId}-${l.context.spanId}-01`)).toEqual([
        scheduled.metadata.traceparent,
      ]);
    } finally {
      await second.stop();
      await store.close();
    }
  });
});
