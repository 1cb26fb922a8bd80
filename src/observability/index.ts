export type { MessagingMetricsSources } from './messaging-metrics.js';
export { messagingMetrics } from './messaging-metrics.js';
export type { Metrics, MetricsOptions, MetricsRegistry } from './metric-set.js';
export type { MetricsHandlerOptions } from './metrics-handler.js';
export { metricsHandler } from './metrics-handler.js';
export type { ObservedProjections } from './projection-metrics.js';
export { projectionMetrics } from './projection-metrics.js';
export { sagaMetrics } from './saga-metrics.js';
