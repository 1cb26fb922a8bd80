import { createRabbitMqBroker } from 'factum/rabbitmq';
import { services } from '../support/services.js';

/** The broker the conformance suite's crash test builds in its child process. */
export function createBroker(namespace: string) {
  return createRabbitMqBroker({ url: services.amqp, exchange: namespace, connectionName: namespace });
}
