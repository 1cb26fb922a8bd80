import { connect } from '@nats-io/transport-node';
import amqplib from 'amqplib';
import { createKafkaBroker } from 'factum/kafka';
import type { Broker } from 'factum/messaging';
import { createNatsBroker, type NatsBroker } from 'factum/nats';
import { createRabbitMqBroker, type RabbitMqBroker } from 'factum/rabbitmq';
import { destroyKafkaNamespace, probeKafka } from './kafka.js';
import { probeService, services } from './services.js';
import { destroySqsNamespace, openSqsBroker, probeSqs } from './sqs.js';

/** 'sqs': ElasticMQ with direct fan-out; 'sns': fauxqs with SNS fan-out. */
export type BrokerKind = 'rabbitmq' | 'nats' | 'kafka' | 'sqs' | 'sns';

/** Probes both brokers once per test file. */
export async function probeBrokers(): Promise<Record<BrokerKind, boolean>> {
  const rabbit = await probeService('RabbitMQ', services.amqp, async () => {
    const conn = await amqplib.connect(services.amqp);
    await conn.close();
  });
  const nats = await probeService('NATS JetStream', services.nats, async () => {
    const nc = await connect({ servers: services.nats, reconnect: false });
    await nc.close();
  });
  const kafka = await probeKafka();
  const sqs = await probeSqs('elasticmq');
  const sns = await probeSqs('fauxqs');
  return {
    rabbitmq: rabbit.available,
    nats: nats.available,
    kafka: kafka.available,
    sqs: sqs.available,
    sns: sns.available,
  };
}

/** A broker of the given kind on its own namespace (exchange / subject prefix). */
export function openBroker(kind: BrokerKind, namespace: string): Promise<Broker> {
  if (kind === 'sqs' || kind === 'sns')
    return openSqsBroker(kind === 'sqs' ? 'elasticmq' : 'fauxqs', namespace);
  if (kind === 'kafka') {
    return createKafkaBroker({ brokers: services.kafka, topic: namespace, groupIdPrefix: `${namespace}.` });
  }
  return kind === 'rabbitmq'
    ? createRabbitMqBroker({ url: services.amqp, exchange: namespace, connectionName: namespace })
    : createNatsBroker({ servers: services.nats, prefix: namespace, name: namespace, ackWaitMs: 1500 });
}

/** Deletes what a test created on the broker. */
export async function destroyNamespace(kind: BrokerKind, namespace: string, groups: string[]): Promise<void> {
  if (kind === 'kafka') {
    await destroyKafkaNamespace(namespace);
    return;
  }
  if (kind === 'sqs' || kind === 'sns') {
    await destroySqsNamespace(kind === 'sqs' ? 'elasticmq' : 'fauxqs', namespace);
    return;
  }
  if (kind === 'nats') {
    const broker = (await openBroker('nats', namespace)) as NatsBroker;
    await broker.deleteStreams();
    await broker.close();
    return;
  }
  const broker = (await openBroker('rabbitmq', namespace)) as RabbitMqBroker;
  for (const group of groups) await broker.deleteGroup(group).catch(() => {});
  await broker.deleteExchanges().catch(() => {});
  await broker.close();
}

export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}
