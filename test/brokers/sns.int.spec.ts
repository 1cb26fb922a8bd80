import { fileURLToPath } from 'node:url';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { Broker } from 'factum/messaging';
import { type SqsBroker, snsTopicName } from 'factum/sqs';
import { describeBrokerContract } from 'factum/testing';
import { describe } from 'vitest';
import { destroySqsNamespace, probeSqs, snsClient } from '../support/sqs.js';
import { createBroker } from './sns-worker.js';

const fauxqs = await probeSqs('fauxqs');

/** Publishes a message that is not a Factum envelope to the category's topic. */
async function publishForeign(broker: Broker, category: string, body: string) {
  const sns = snsClient();
  try {
    const { prefix } = broker as SqsBroker;
    const name = snsTopicName({ prefix, fifo: true }, category);
    const arn = `arn:aws:sns:us-east-1:000000000000:${name}`;
    await sns.send(
      new PublishCommand({
        TopicArn: arn,
        Message: body,
        MessageGroupId: `${category}-1`,
        MessageDeduplicationId: `f${Date.now()}`,
      }),
    );
  } finally {
    sns.destroy();
  }
}

describe.skipIf(!fauxqs.available)('SQS with SNS fan-out on fauxqs', () => {
  describeBrokerContract('sqs + sns (fauxqs)', {
    create: (namespace) => createBroker(namespace),
    destroy: (namespace) => destroySqsNamespace('fauxqs', namespace),
    orderedCompetingConsumers: true,
    workerModule: fileURLToPath(new URL('./sns-worker.ts', import.meta.url)),
    publishForeign: (broker, category, _type, body) => publishForeign(broker, category, body),
  });
});
