import { openSqsBroker } from '../support/sqs.js';

/** The broker the conformance suite's crash test builds in its child process: ElasticMQ, direct fan-out. */
export function createBroker(namespace: string) {
  return openSqsBroker('elasticmq', namespace);
}
