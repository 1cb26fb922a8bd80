import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteBroker } from 'factum/messaging';

/** Unacknowledged messages of a crashed consumer come back after 1.5 s, so crash tests stay short. */
export const TEST_LEASE_MS = 1500;

/** The file of a namespace: the same in the test process and in the child it spawns. */
export function brokerFile(namespace: string): string {
  return join(tmpdir(), 'factum-sqlite-broker', `${namespace}.db`);
}

/** The broker the conformance suite's crash test builds in its child process. */
export async function createBroker(namespace: string) {
  return createSqliteBroker({
    file: brokerFile(namespace),
    namespace,
    pollMs: 25,
    leaseMs: TEST_LEASE_MS,
    synchronous: 'NORMAL',
  });
}
