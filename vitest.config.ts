import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

// Tests and examples import the package by its public names; resolve them to the sources.
const alias = [
  { find: /^factum$/, replacement: src('index.ts') },
  { find: /^factum\/sqlite$/, replacement: src('stores/sqlite/index.ts') },
  { find: /^factum\/projections$/, replacement: src('projections/index.ts') },
  { find: /^factum\/follow$/, replacement: src('follow/index.ts') },
  { find: /^factum\/redis$/, replacement: src('projections/redis/index.ts') },
  { find: /^factum\/postgres$/, replacement: src('stores/postgres/index.ts') },
  { find: /^factum\/testing$/, replacement: src('testing/index.ts') },
  { find: /^factum\/observability$/, replacement: src('observability/index.ts') },
  { find: /^factum\/rabbitmq$/, replacement: src('brokers/rabbitmq/index.ts') },
  { find: /^factum\/nats$/, replacement: src('brokers/nats/index.ts') },
  { find: /^factum\/kafka$/, replacement: src('brokers/kafka/index.ts') },
  { find: /^factum\/sqs$/, replacement: src('brokers/sqs/index.ts') },
  { find: /^factum\/brokers$/, replacement: src('brokers/index.ts') },
  { find: /^factum\/otel$/, replacement: src('otel/index.ts') },
  { find: /^factum\/messaging$/, replacement: src('messaging/index.ts') },
  { find: /^factum\/sagas$/, replacement: src('sagas/index.ts') },
  { find: /^factum\/server$/, replacement: src('server/index.ts') },
];

export default defineConfig({
  resolve: { alias },
  test: {
    // CI also writes a JSON report, from which .ci/run prints a plain 'N passed, N failed' line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.factum/test-results.json' }]]
      : ['default'],
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', include: ['test/**/*.unit.spec.ts'] },
      },
      {
        resolve: { alias },
        test: {
          name: 'int',
          include: ['test/**/*.int.spec.ts', 'test/**/*.e2e.spec.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
