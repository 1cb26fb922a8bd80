import { fileURLToPath } from 'node:url';
import { Producer } from '@platformatic/kafka';
import type { KafkaBroker } from 'factum/kafka';
import { describeBrokerContract } from 'factum/testing';
import { afterAll, describe } from 'vitest';
import { destroyKafkaNamespace, kafkaBootstrap, probeKafka } from '../support/kafka.js';
import { createBroker } from './kafka-worker.js';

const kafka = await probeKafka();

describe.skipIf(!kafka.available)('Kafka', () => {
  let producer: Producer | undefined;
  afterAll(async () => {
    await producer?.close().catch(() => {});
  });

  describeBrokerContract('kafka', {
    create: (namespace) => createBroker(namespace),
    destroy: destroyKafkaNamespace,
    orderedCompetingConsumers: true,
    workerModule: fileURLToPath(new URL('./kafka-worker.ts', import.meta.url)),
    async publishForeign(broker, category, _type, body) {
      producer ??= new Producer({ clientId: 'factum-test-foreign', bootstrapBrokers: kafkaBootstrap });
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
