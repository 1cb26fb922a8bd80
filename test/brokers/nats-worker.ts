import { createNatsBroker } from 'factum/nats';
import { services } from '../support/services.js';

/** Unacknowledged messages come back after 1.5 s, so crash and stop tests stay short. */
export const TEST_ACK_WAIT_MS = 1500;

/** The broker the conformance suite's crash test builds in its child process. */
export function createBroker(namespace: string) {
  return createNatsBroker({
    servers: services.nats,
    prefix: namespace,
    name: namespace,
    ackWaitMs: TEST_ACK_WAIT_MS,
  });
}
