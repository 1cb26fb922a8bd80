import type * as JetStream from '@nats-io/jetstream';
import type * as Transport from '@nats-io/transport-node';
import type { Emitter } from '../../core/emitter.js';
import type { BrokerEvents } from '../../messaging/broker.js';

/** What a consumer needs from its broker: the JetStream clients, names and instrumentation. */
export interface NatsHost {
  readonly js: JetStream.JetStreamClient;
  readonly jsm: JetStream.JetStreamManager;
  readonly lib: typeof JetStream;
  readonly transport: typeof Transport;
  readonly stream: string;
  readonly emitter: Emitter<BrokerEvents>;
  readonly ackWaitMs: number;
  deadLetterSubject(group: string): string;
  forget(consumer: object): void;
}
