export { DeadLetterHeaders } from './dead-letters.js';
export type { RabbitMqBrokerOptions, RabbitMqReconnectOptions } from './rabbitmq-broker.js';
export { createRabbitMqBroker, RabbitMqBroker } from './rabbitmq-broker.js';
export { CE_PREFIX as AMQP_CLOUDEVENTS_PREFIX, fromAmqpMessage, toAmqpMessage } from './wire.js';
