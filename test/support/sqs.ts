import { DeleteTopicCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsBroker, type SqsBrokerOptions } from 'factum/sqs';
import { probeService, services } from './services.js';

// The SDK warns once per process that its releases from 2027 on need Node.js 22; the tests run on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Local servers accept any credentials; naming them keeps the SDK off the machine's provider chain. */
export const localCredentials = { accessKeyId: 'factum', secretAccessKey: 'factum' };
export const region = 'us-east-1';

export type SqsServer = 'elasticmq' | 'fauxqs';

/** The SQS endpoint of each server: ElasticMQ (SQS only) and fauxqs (SNS and SQS on one address). */
export const sqsEndpoint = (server: SqsServer) => (server === 'elasticmq' ? services.sqs : services.sns);

export function sqsClient(server: SqsServer): SQSClient {
  return new SQSClient({
    region,
    endpoint: sqsEndpoint(server),
    credentials: localCredentials,
    useQueueUrlAsEndpoint: false,
  });
}

export function snsClient(): SNSClient {
  return new SNSClient({ region, endpoint: services.sns, credentials: localCredentials });
}

/** Whether the server answers ListQueues (skip, or fail under FACTUM_REQUIRE_SERVICES=1). */
export function probeSqs(server: SqsServer) {
  const url = sqsEndpoint(server);
  const name = server === 'elasticmq' ? 'ElasticMQ (SQS, FACTUM_SQS_URL)' : 'fauxqs (SNS, FACTUM_SNS_URL)';
  return probeService(name, url, async () => {
    const client = sqsClient(server);
    try {
      await client.send(new ListQueuesCommand({ MaxResults: 1 }));
    } finally {
      client.destroy();
    }
  });
}

/**
 * The adapter on a test server: 'elasticmq' with direct fan-out, 'fauxqs' with SNS topics. Short
 * visibility timeouts and long polls keep crash tests quick.
 */
export function openSqsBroker(server: SqsServer, prefix: string, options: Partial<SqsBrokerOptions> = {}) {
  return createSqsBroker({
    region,
    endpoint: sqsEndpoint(server),
    credentials: localCredentials,
    prefix,
    visibilityTimeoutSeconds: 2,
    waitTimeSeconds: 1,
    ...(server === 'fauxqs' ? { fanOut: 'sns' as const, snsEndpoint: services.sns } : {}),
    ...options,
  });
}

/** Deletes a test prefix's queues and topics. */
export async function destroySqsNamespace(server: SqsServer, prefix: string): Promise<void> {
  const sqs = sqsClient(server);
  try {
    const out = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: `${prefix}-`, MaxResults: 1000 }));
    for (const url of out.QueueUrls ?? [])
      await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => {});
  } finally {
    sqs.destroy();
  }
  if (server !== 'fauxqs') return;
  const sns = snsClient();
  try {
    const out = await sns.send(new ListTopicsCommand({}));
    for (const topic of out.Topics ?? []) {
      const arn = topic.TopicArn ?? '';
      if (arn.slice(arn.lastIndexOf(':') + 1).startsWith(`${prefix}-`)) {
        await sns.send(new DeleteTopicCommand({ TopicArn: arn })).catch(() => {});
      }
    }
  } finally {
    sns.destroy();
  }
}

export function uniquePrefix(tag: string): string {
  return `${tag}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}
