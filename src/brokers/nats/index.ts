export { DeadLetterHeaders as NatsDeadLetterHeaders } from './dead-letters.js';
export type { NatsBrokerOptions } from './nats-broker.js';
export { createNatsBroker, NatsBroker } from './nats-broker.js';
export { CE_PREFIX as NATS_CLOUDEVENTS_PREFIX, fromNatsMessage, toNatsHeaders } from './wire.js';
