/**
 * Where the integration tests find the real services, and what happens when one is missing:
 * the tests that need it skip and say so, unless FACTUM_REQUIRE_SERVICES=1 (as in CI), where a
 * missing service fails the run.
 */
export const services = {
  postgres: process.env.FACTUM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  amqp: process.env.FACTUM_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  nats: process.env.FACTUM_NATS_URL ?? 'nats://127.0.0.1:4222',
  kafka: process.env.FACTUM_KAFKA_BROKERS ?? '127.0.0.1:9092',
  sqs: process.env.FACTUM_SQS_URL ?? 'http://127.0.0.1:9324',
  /** An SNS endpoint whose SQS it delivers to on the same address (fauxqs). */
  sns: process.env.FACTUM_SNS_URL ?? 'http://127.0.0.1:4566',
  redis: process.env.FACTUM_REDIS_URL ?? 'redis://127.0.0.1:6379',
} as const;

export const servicesRequired = process.env.FACTUM_REQUIRE_SERVICES === '1';

export interface ServiceProbe {
  available: boolean;
  reason?: string;
}

/**
 * Checks once whether a service answers. Use at the top of a spec file:
 * `const pg = await probeService('postgres', services.postgres, () => ping())`, then
 * `describe.skipIf(!pg.available)(...)`.
 */
export async function probeService(
  name: string,
  url: string,
  probe: () => Promise<void>,
  timeoutMs = 5000,
): Promise<ServiceProbe> {
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs),
      ),
    ]);
    return { available: true };
  } catch (error) {
    const reason = `${name} is not reachable at ${url}: ${error instanceof Error ? error.message : String(error)}`;
    if (servicesRequired)
      throw new Error(`${reason} (FACTUM_REQUIRE_SERVICES=1, so this fails instead of skipping)`);
    console.warn(`[skip] ${reason}; its tests are skipped`);
    return { available: false, reason };
  }
}
