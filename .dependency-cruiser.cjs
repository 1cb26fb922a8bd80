/** Import rules: core depends on nothing else in Factum, and there are no cycles. */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make load order fragile; split the shared part out instead.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-standalone',
      severity: 'error',
      comment:
        'src/core is the contract: it must not import stores, brokers, server, cli or any other layer.',
      from: { path: '^src/core/' },
      to: { path: '^src/(?!core/)' },
    },
    {
      name: 'core-imports-no-driver',
      severity: 'error',
      comment:
        'Drivers are loaded only by the subpath that needs them. The one runtime library core may use is the JSON Schema validator of the schema registry (ajv, ajv-formats).',
      from: { path: '^src/core/' },
      to: {
        dependencyTypes: ['npm', 'npm-dev', 'npm-peer', 'npm-optional'],
        pathNot: '^node_modules/(ajv|ajv-formats)/',
      },
    },
    {
      name: 'main-entry-imports-no-driver',
      severity: 'error',
      comment: "The 'factum' entry must not pull in a database or broker driver.",
      from: { path: '^src/(index|open-store|store-url)\\.ts$' },
      to: { path: '^node_modules/(better-sqlite3|pg|kafkajs|amqplib|@nats-io|@aws-sdk|@platformatic)' },
    },
    // Layers import only downward: core <- stores <- follow <- projections, messaging, sagas <-
    // brokers <- observability <- server, cli. One rule per layer names everything above it.
    {
      name: 'stores-import-only-core',
      severity: 'error',
      comment: 'The stores are built on core alone: nothing above them (follow, projections, messaging, …).',
      from: { path: '^src/stores/' },
      to: { path: '^src/(follow|projections|messaging|brokers|sagas|observability|server|cli|testing)/' },
    },
    {
      name: 'follow-imports-only-stores-and-core',
      severity: 'error',
      comment:
        'The follow kit (leases, checkpoints, the page loop) sits right above the stores: projections, messaging and sagas are built on it, never the other way round.',
      from: { path: '^src/follow/' },
      to: { path: '^src/(projections|messaging|brokers|sagas|observability|server|cli|testing)/' },
    },
    {
      name: 'projections-messaging-sagas-import-no-upper-layer',
      severity: 'error',
      comment:
        'Projections, messaging and sagas sit on the follow kit; broker adapters, observability, the server and the CLI are built on them.',
      from: { path: '^src/(projections|messaging|sagas)/' },
      to: { path: '^src/(brokers|observability|server|cli|testing)/' },
    },
    {
      name: 'projections-and-messaging-are-siblings',
      severity: 'error',
      comment:
        'Projections and messaging do not depend on each other; what they share lives in follow or below.',
      from: { path: '^src/projections/' },
      to: { path: '^src/messaging/' },
    },
    {
      name: 'messaging-and-projections-are-siblings',
      severity: 'error',
      from: { path: '^src/messaging/' },
      to: { path: '^src/projections/' },
    },
    {
      name: 'brokers-import-no-upper-layer',
      severity: 'error',
      comment:
        'Broker adapters implement the contract of messaging; observability, the server and the CLI are above them.',
      from: { path: '^src/brokers/' },
      to: { path: '^src/(projections|sagas|observability|server|cli|testing)/' },
    },
    {
      name: 'server-and-cli-are-on-top',
      severity: 'error',
      comment: 'Nothing below the server and the CLI imports them.',
      from: { path: '^src/(?!server/|cli/)' },
      to: { path: '^src/(server|cli)/' },
    },
    {
      name: 'follow-is-used-through-its-entries',
      severity: 'error',
      comment:
        'Above it, the follow kit is used through its public entry (index.ts) or, to build storages on it, kit.ts; never through its private files.',
      from: { path: '^src/(?!follow/)' },
      to: { path: '^src/follow/', pathNot: '^src/follow/(index|kit)\\.ts$' },
    },
    {
      name: 'sagas-use-projections-through-its-entry',
      severity: 'error',
      comment:
        'The saga index is an ordinary projection: sagas use projections through their public entry only.',
      from: { path: '^src/sagas/' },
      to: { path: '^src/projections/', pathNot: '^src/projections/index\\.ts$' },
    },
    {
      name: 'stores-are-used-through-their-kit',
      severity: 'error',
      comment:
        'Above the stores, a database store is used through its public entry (index.ts) or its kit (kit.ts: transactions, error translation, names, migration registry), never through its private files.',
      from: { path: '^src/(?!stores/)' },
      to: {
        path: '^src/stores/(sqlite|postgres)/',
        pathNot: '^src/stores/(sqlite|postgres)/(index|kit)\\.ts$',
      },
    },
    {
      name: 'observability-is-on-top',
      severity: 'error',
      comment:
        'Metrics watch the layers below through their public status and events; nothing below imports them back.',
      from: { path: '^src/(core|stores|projections|messaging|brokers|sagas|testing)/' },
      to: { path: '^src/observability/' },
    },
    {
      name: 'prom-client-only-in-observability',
      severity: 'error',
      comment: 'prom-client is an optional peer dependency: only factum/observability loads it.',
      from: { path: '^src/(?!observability/)' },
      to: { path: '^node_modules/prom-client/' },
    },
    {
      name: 'opentelemetry-only-in-otel',
      severity: 'error',
      comment:
        '@opentelemetry/api is an optional peer dependency: only factum/otel loads it; the layers below call the tracing seam in core.',
      from: { path: '^src/(?!otel/)' },
      to: { path: '^node_modules/@opentelemetry/' },
    },
    {
      name: 'otel-is-built-on-core-alone',
      severity: 'error',
      comment:
        'factum/otel implements the tracing seam of core; it needs nothing else of Factum, and nothing imports it.',
      from: { path: '^src/otel/' },
      to: { path: '^src/(?!core/|otel/)' },
    },
    {
      name: 'nothing-imports-otel',
      severity: 'error',
      from: { path: '^src/(?!otel/)' },
      to: { path: '^src/otel/' },
    },
    {
      name: 'no-library-code-imports-tests',
      severity: 'error',
      from: { path: '^src/(?!testing/)' },
      to: { path: '^src/testing/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
