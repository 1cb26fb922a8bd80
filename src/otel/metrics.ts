/**
 * The OpenTelemetry messaging metrics, recorded from the spans Factum makes: `messaging.client.sent.messages`
 * (each relay publish), `messaging.client.consumed.messages` and `messaging.process.duration` (each
 * delivery a consumer processed). Only low-cardinality attributes: system, operation, destination,
 * consumer group, error type.
 */
import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import type { SpanRequest } from '../core/tracing.js';

const METRIC_ATTRIBUTES = [
  'messaging.system',
  'messaging.operation.name',
  'messaging.destination.name',
  'messaging.consumer.group.name',
] as const;

export interface MessagingMetrics {
  /** Records one finished span's measurements, when it is a send or a process. */
  record(request: SpanRequest, seconds: number, errorType: string | undefined): void;
}

export function messagingMetrics(meter: Meter): MessagingMetrics {
  const sent: Counter = meter.createCounter('messaging.client.sent.messages', {
    unit: '{message}',
    description: 'Messages the relay published (or tried to: error.type says why not).',
  });
  const consumed: Counter = meter.createCounter('messaging.client.consumed.messages', {
    unit: '{message}',
    description: 'Messages a consumer processed.',
  });
  const duration: Histogram = meter.createHistogram('messaging.process.duration', {
    unit: 's',
    description: 'How long processing a message took, its in-process retries included.',
    advice: {
      explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
    },
  });
  return {
    record(request, seconds, errorType) {
      const operation = request.attributes['messaging.operation.type'];
      if (operation !== 'send' && operation !== 'process') return;
      const attributes: Attributes = {};
      for (const key of METRIC_ATTRIBUTES) {
        const value = request.attributes[key];
        if (value !== undefined) attributes[key] = value;
      }
      if (errorType !== undefined) attributes['error.type'] = errorType;
      if (operation === 'send') {
        const count = request.attributes['messaging.batch.message_count'];
        sent.add(typeof count === 'number' ? count : 1, attributes);
      } else {
        consumed.add(1, attributes);
        duration.record(seconds, attributes);
      }
    },
  };
}
