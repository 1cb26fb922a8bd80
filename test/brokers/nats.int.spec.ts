import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import type { NatsBroker } from 'factum/nats';
import { describeBrokerContract } from 'factum/testing';
import { describe } from 'vitest';
import { probeService, services } from '../support/services.js';
import { createBroker } from './nats-worker.js';

const nats = await probeService('NATS JetStream', services.nats, async () => {
  const nc = await connect({ servers: services.nats, reconnect: false });
  await nc.close();
});

describe.skipIf(!nats.available)('NATS JetStream', () => {
  describeBrokerContract('nats', {
    create: (namespace) => createBroker(namespace),
    async destroy(namespace) {
      const broker = await createBroker(namespace);
      await broker.deleteStreams();
      await broker.close();
    },
    workerModule: fileURLToPath(new URL('./nats-worker.ts', import.meta.url)),
    async publishForeign(broker, category, type, body) {
      const b = broker as NatsBroker;
      await b.js.publish(`${b.prefix}.${category}.${type}`, new TextEncoder().encode(body));
    },
  });
});
