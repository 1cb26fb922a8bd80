import { fileURLToPath } from 'node:url';
import { Admin, Producer } from '@platformatic/kafka';
import type { KafkaBroker } from 'factum/kafka';
import { describeBrokerContract } from 'factum/testing';
import { afterAll, describe } from 'vitest';
import { probeService, services } from '../support/services.js';
import { createBroker } from './kafka-worker.js';

const bootstrapBrokers = services.kafka.split(',');

const kafka = await probeService('Kafka', services.kafka, async () => {
  const admin = new Admin({ clientId: 'factum-probe', bootstrapBrokers, retries: 0, timeout: 3000 });
  try {
    await admin.metadata({ topics: [] });
  } finally {
    await admin.close().catch(() => {});
  }
});

/** Deletes a test namespace's topics and consumer groups. */
export async function destroyNamespace(namespace: string): Promise<void> {
  const admin = new Admin({ clientId: 'factum-test-cleanup', bootstrapBrokers });
  try {
    const topics = (await admin.listTopics()).filter((t) => t === namespace || t.startsWith(`${namespace}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => {});
    const groups = [...(await admin.listGroups()).keys()].filter((g) => g.startsWith(`${namespace}.`));
    if (groups.length > 0) await admin.deleteGroups({ groups }).catch(() => {});
  } finally {
    await admin.close().catch(() => {});
  }
}

describe.skipIf(!kafka.available)('Kafka', () => {
  let producer: Producer | undefined;
  afterAll(async () => {
    await producer?.close().catch(() => {});
  });

  describeBrokerContract('kafka', {
    create: (namespace) => createBroker(namespace),
    destroy: destroyNamespace,
    workerModule: fileURLToPath(new URL('./kafka-worker.ts', import.meta.url)),
    async publishForeign(broker, category, _type, body) {
      producer ??= new Producer({ clientId: 'factum-test-foreign', bootstrapBrokers });
      await producer.send({
        messages: [
          {
            topic: (broker as KafkaBroker).topic,
            key: Buffer.from(`${category}-foreign`),
            value: Buffer.from(body),
          },
        ],
      });
    },
  });
});
