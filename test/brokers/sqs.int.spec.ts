import { fileURLToPath } from 'node:url';
import { ListQueuesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Broker } from 'factum/messaging';
import type { SqsBroker } from 'factum/sqs';
import { describeBrokerContract } from 'factum/testing';
import { describe } from 'vitest';
import { destroySqsNamespace, probeSqs, sqsClient } from '../support/sqs.js';
import { createBroker } from './sqs-worker.js';

const elasticmq = await probeSqs('elasticmq');

/** Sends a message that is not a Factum envelope to every group queue of the broker's prefix. */
async function publishForeign(broker: Broker, body: string) {
  const sqs = sqsClient('elasticmq');
  try {
    const { prefix } = broker as SqsBroker;
    const out = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: `${prefix}-` }));
    for (const url of out.QueueUrls ?? []) {
      if (url.endsWith('-dlq.fifo')) continue;
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            {
              Id: 'foreign',
              MessageBody: body,
              MessageGroupId: 'order-1',
              MessageDeduplicationId: `f${Date.now()}`,
            },
          ],
        }),
      );
    }
  } finally {
    sqs.destroy();
  }
}

describe.skipIf(!elasticmq.available)('SQS on ElasticMQ (direct fan-out)', () => {
  describeBrokerContract('sqs (ElasticMQ)', {
    create: (namespace) => createBroker(namespace),
    destroy: (namespace) => destroySqsNamespace('elasticmq', namespace),
    orderedCompetingConsumers: true,
    workerModule: fileURLToPath(new URL('./sqs-worker.ts', import.meta.url)),
    publishForeign: (broker, _category, _type, body) => publishForeign(broker, body),
  });
});
