import type * as Amqp from 'amqplib';
import type { Emitter } from '../../core/emitter.js';
import type { BrokerEvents, GroupOptions } from '../../messaging/broker.js';
import type { Topology } from './topology.js';

/** What a consumer needs from its broker: the live connection, topology and instrumentation. */
export interface RabbitMqConnectionHost {
  readonly topology: Topology;
  readonly emitter: Emitter<BrokerEvents>;
  readonly closed: boolean;
  /** The live connection, waiting for a reconnection if there is none. */
  connection(): Promise<Amqp.ChannelModel>;
  /** Declares the group's queues on a fresh channel of the current connection. */
  ensureGroup(options: GroupOptions): Promise<string>;
  forget(consumer: object): void;
}
