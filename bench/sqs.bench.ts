/**
 * SQS benchmark, one JSON line:
 * - relay throughput: 20,000 events from a SQLite store to an SQS FIFO queue through the outbox relay
 *   (pages of 500; each page resolved only when SQS confirmed every entry of every SendMessageBatch),
 *   beside the raw @aws-sdk/client-sqs SendMessageBatch of the same pre-encoded messages (same body,
 *   attributes, MessageGroupId and deduplication id) in batches of 10 with the same 4 lanes side by
 *   side, in the same run. The raw rate is the mean of a run before and a run after the relay;
 * - end-to-end latency append → consumer handler at a steady 100 events/s for 10 s with long polling
 *   (20 s receives), p50/p99.
 * Needs an SQS server (FACTUM_SQS_URL, default http://127.0.0.1:9324; `scripts/elasticmq start`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ListQueuesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createSqsBroker, messageGroupId, toSqsMessage } from '../src/brokers/sqs/index.js';
import type { StoredEvent } from '../src/core/envelope.js';
import { createSqliteStore, type SqliteEventStore } from '../src/stores/sqlite/index.js';
import { relayEndToEnd, relayThroughput } from './relay-support.js';
import { benchPayload, type Figure, rate, report, since } from './support.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ENDPOINT = process.env.FACTUM_SQS_URL ?? 'http://127.0.0.1:9324';
const EVENTS = Number(process.env.FACTUM_BENCH_EVENTS ?? 20_000);
const STREAMS = 100;
const PAGE = 500;
const LANES = 4;
const E2E_RATE = 100;
const E2E_SECONDS = Number(process.env.FACTUM_BENCH_E2E_SECONDS ?? 10);
const credentials = { accessKeyId: 'factum', secretAccessKey: 'factum' };
const region = 'us-east-1';

const dir = mkdtempSync(join(tmpdir(), 'factum-bench-sqs-'));
const tag = `bench${Date.now().toString(36)}`;
const sqs = new SQSClient({ region, endpoint: ENDPOINT, credentials, useQueueUrlAsEndpoint: false });

/** 10 events per append, streams taken round-robin, so each page of the log holds many streams. */
async function seed(
  file: string,
  count: number,
): Promise<{ store: SqliteEventStore; events: StoredEvent[] }> {
  const store = createSqliteStore(file, { synchronous: 'NORMAL' });
  for (let i = 0; i < count; i += 10) {
    await store.append(
      `order-${(i / 10) % STREAMS}`,
      Array.from({ length: Math.min(10, count - i) }, (_, k) => ({
        type: 'OrderPlaced',
        ...benchPayload(i + k),
      })),
    );
  }
  const events: StoredEvent[] = [];
  for (let after = 0n; ; ) {
    const page = await store.readAll({ after, limit: 10_000 });
    if (page.events.length === 0) break;
    events.push(...page.events);
    after = page.last;
  }
  return { store, events };
}

/** The raw SDK: same messages, SendMessageBatch of 10, LANES lanes by stream, one batch at a time per lane. */
async function raw(events: StoredEvent[], name: string): Promise<number> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${tag}-${name}.fifo`, Attributes: { FifoQueue: 'true' } }),
  );
  const lanes: StoredEvent[][] = Array.from({ length: LANES }, () => []);
  for (const e of events) lanes[Number(e.streamId.slice('order-'.length)) % LANES]!.push(e);
  const entries = lanes.map((lane) =>
    lane.map((e, i) => {
      const m = toSqsMessage(e, '/factum', 262_144);
      return {
        Id: `e${i % 10}`,
        MessageBody: m.body,
        MessageAttributes: m.attributes,
        MessageGroupId: messageGroupId(e.streamId),
        MessageDeduplicationId: e.id,
      };
    }),
  );
  const start = performance.now();
  await Promise.all(
    entries.map(async (lane) => {
      for (let i = 0; i < lane.length; i += 10) {
        const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: lane.slice(i, i + 10) }));
        if ((out.Failed ?? []).length > 0) throw new Error(`raw batch failed: ${JSON.stringify(out.Failed)}`);
      }
    }),
  );
  return (events.length / since(start)) * 1000;
}

const figures: Record<string, Figure> = {};
const { store, events } = await seed(join(dir, 'relay.db'), EVENTS);
const head = events.at(-1)!.position;
const open = (prefix: string) =>
  createSqsBroker({ region, endpoint: ENDPOINT, credentials, prefix, publishConcurrency: LANES });
try {
  const rawBefore = await raw(events, 'raw1');
  const broker = await open(`${tag}r`);
  await broker.declareGroup({ group: 'relay' });
  const ms = await relayThroughput(store, broker, head, `bench-${tag}`, PAGE);
  await broker.close();
  const rawAfter = await raw(events, 'raw2');
  const rawRate = Math.round((rawBefore + rawAfter) / 2);
  figures.sqs_relay = {
    ...rate(EVENTS, ms, rawRate, '>= 0.7 of raw'),
    rawRuns: [Math.round(rawBefore), Math.round(rawAfter)],
  };
  const live = await open(`${tag}e`);
  const e2e = await relayEndToEnd(join(dir, 'e2e.db'), live, E2E_RATE, E2E_SECONDS, PAGE);
  figures.sqs_e2e_p50 = { value: e2e.p50, unit: 'ms', events: e2e.count };
  figures.sqs_e2e_p99 = {
    value: e2e.p99,
    unit: 'ms',
    target: '< 200 ms',
    events: e2e.count,
    eventLoopDelayP99Ms: e2e.loopDelayP99,
  };
  await live.close();
} finally {
  await store.close();
  const out = await sqs
    .send(new ListQueuesCommand({ QueueNamePrefix: tag }))
    .catch(() => ({ QueueUrls: [] }));
  for (const url of out.QueueUrls ?? [])
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => {});
  sqs.destroy();
  rmSync(dir, { recursive: true, force: true });
}
report('sqs', figures, {
  client: '@aws-sdk/client-sqs',
  server: ENDPOINT,
  loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
  events: EVENTS,
  streams: STREAMS,
  page: PAGE,
  lanes: LANES,
  fifo: true,
  waitTimeSeconds: 20,
  e2eRate: E2E_RATE,
  e2eSeconds: E2E_SECONDS,
});
