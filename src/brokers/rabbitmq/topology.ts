import type { Channel } from 'amqplib';
import type { GroupOptions } from '../../messaging/broker.js';
import { routingPatterns } from '../shared/naming.js';

export interface Topology {
  /** The topic exchange events are published to, routed by `<category>.<type>`. */
  exchange: string;
  /** The direct exchange dead letters go through, routed by group. */
  deadLetterExchange: string;
}

export function topologyFor(exchange: string): Topology {
  return { exchange, deadLetterExchange: `${exchange}.dlx` };
}

export function queueName(topology: Topology, group: string): string {
  return `${topology.exchange}.${group}`;
}

export function deadLetterQueueName(topology: Topology, group: string): string {
  return `${queueName(topology, group)}.dlq`;
}

export async function declareExchanges(channel: Channel, topology: Topology): Promise<void> {
  await channel.assertExchange(topology.exchange, 'topic', { durable: true });
  await channel.assertExchange(topology.deadLetterExchange, 'direct', { durable: true });
}

/**
 * A durable quorum queue for the group, bound to the topic exchange by its patterns, with a dead-letter
 * exchange pointing at the group's own quorum dead-letter queue. Bindings are only added: a group
 * whose filters shrink keeps its old bindings until the queue is deleted.
 */
export async function declareGroupQueues(
  channel: Channel,
  topology: Topology,
  options: GroupOptions,
): Promise<string> {
  const queue = queueName(topology, options.group);
  const dlq = deadLetterQueueName(topology, options.group);
  await channel.assertQueue(dlq, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(dlq, topology.deadLetterExchange, options.group);
  await channel.assertQueue(queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': topology.deadLetterExchange,
      'x-dead-letter-routing-key': options.group,
    },
  });
  for (const pattern of routingPatterns(options, '*')) {
    await channel.bindQueue(queue, topology.exchange, pattern);
  }
  return queue;
}
