import { Admin } from '@platformatic/kafka';
import { probeService, services } from './services.js';

export const kafkaBootstrap = services.kafka.split(',').map((b) => b.trim());

/** Whether Kafka answers a metadata request (skip, or fail under FACTUM_REQUIRE_SERVICES=1). */
export function probeKafka() {
  return probeService('Kafka', services.kafka, async () => {
    const admin = new Admin({
      clientId: 'factum-probe',
      bootstrapBrokers: kafkaBootstrap,
      retries: 0,
      timeout: 3000,
    });
    try {
      await admin.metadata({ topics: [] });
    } finally {
      await admin.close().catch(() => {});
    }
  });
}

/** Deletes a test namespace's topics (`<ns>`, `<ns>.*`) and consumer groups (`<ns>.*`). */
export async function destroyKafkaNamespace(namespace: string): Promise<void> {
  const admin = new Admin({ clientId: 'factum-test-cleanup', bootstrapBrokers: kafkaBootstrap });
  try {
    const topics = (await admin.listTopics()).filter((t) => t === namespace || t.startsWith(`${namespace}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => {});
    const groups = [...(await admin.listGroups()).keys()].filter((g) => g.startsWith(`${namespace}.`));
    if (groups.length > 0) await admin.deleteGroups({ groups }).catch(() => {});
  } finally {
    await admin.close().catch(() => {});
  }
}
