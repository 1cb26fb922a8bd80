import { createKafkaBroker } from 'factum/kafka';
import { interleaved, waitFor } from 'factum/testing';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { destroyKafkaNamespace, kafkaBootstrap, probeKafka } from '../support/kafka.js';

const kafka = await probeKafka();

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { cwd: process.cwd(), out: (t: string) => out.push(t), err: (t: string) => err.push(t) },
    out,
    err,
  };
}

describe('factum kafka reset-offsets', () => {
  it.skipIf(!kafka.available)('replays a stopped group from the beginning', async () => {
    const topic = `factum-cli-${Date.now().toString(36)}`;
    const broker = await createKafkaBroker({
      brokers: kafkaBootstrap,
      topic,
      topicOptions: { partitions: 2 },
    });
    try {
      await broker.declareGroup({ group: 'summary' });
      await broker.publish(interleaved(['order-1', 'order-2'], 3));
      const seen: number[] = [];
      const consumer = await broker.consume({ group: 'summary' }, (e) => {
        seen.push(e.version);
      });
      await waitFor('first pass', () => seen.length === 6, 15_000);
      await consumer.stop();
      await waitFor('commits land', async () => (await broker.lag('summary')).lag === 0, 15_000);

      const run = io();
      const code = await runCli(
        [
          'kafka',
          'reset-offsets',
          'summary',
          '--to-earliest',
          '--topic',
          topic,
          '--brokers',
          kafkaBootstrap.join(','),
        ],
        run.io,
      );
      expect(run.err.join('')).toBe('');
      expect(code).toBe(0);
      expect(run.out.join('')).toMatch(
        new RegExp(`^Group summary on ${topic} now resumes at:\\n  partition 0: offset 0\\n`),
      );
      expect((await broker.lag('summary')).lag).toBe(6);
    } finally {
      await broker.close();
      await destroyKafkaNamespace(topic);
    }
  });

  it('needs exactly one target and a real date', async () => {
    const none = io();
    expect(await runCli(['kafka', 'reset-offsets', 'g'], none.io)).toBe(2);
    expect(none.err.join('')).toMatch(/exactly one of --to-earliest, --to-latest, --to-datetime/);
    const bad = io();
    expect(await runCli(['kafka', 'reset-offsets', 'g', '--to-datetime', 'yesterday'], bad.io)).toBe(2);
    expect(bad.err.join('')).toMatch(/--to-datetime yesterday is not a date/);
  });
});
