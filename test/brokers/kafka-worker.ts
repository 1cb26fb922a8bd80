import { createKafkaBroker, type KafkaGroupTiming } from 'factum/kafka';
import { services } from '../support/services.js';

/**
 * Group timing for tests: the broker's minimum session timeout (6 s) bounds how long a killed
 * consumer's partitions stay unassigned; heartbeats every 200 ms make rebalances quick.
 */
export const TEST_TIMING: Partial<KafkaGroupTiming> = {
  sessionTimeoutMs: 6000,
  heartbeatIntervalMs: 200,
  rebalanceTimeoutMs: 10_000,
  handoffTimeoutMs: 5000,
  maxWaitMs: 100,
};

/** The broker the conformance suite's crash test builds in its child process: topic and group ids per namespace. */
export function createBroker(namespace: string) {
  return createKafkaBroker({
    brokers: services.kafka,
    topic: namespace,
    groupIdPrefix: `${namespace}.`,
    clientId: namespace,
    topicOptions: { partitions: 3 },
    group: TEST_TIMING,
  });
}
