import type { SagaStatus, Sagas } from '../sagas/index.js';
import { MetricSet, type Metrics, type MetricsOptions, sharedRead } from './metric-set.js';

const STATUSES: readonly SagaStatus[] = [
  'running',
  'compensating',
  'parked',
  'completed',
  'compensated',
  'aborted',
];

/**
 * Prometheus metrics of sagas: instances by saga and status (read from the saga index at scrape
 * time: alert on `parked` above zero), inputs applied, instances parked, timeouts fired and how late,
 * and reactor dead letters, counted from the runtime's events in this process.
 */
export function sagaMetrics(sagas: Sagas, options: MetricsOptions = {}): Metrics {
  const set = new MetricSet(options);
  const names = sagas.names;
  const readCounts = sharedRead(() =>
    Promise.all(
      names.flatMap((saga) =>
        STATUSES.map(async (status) => ({
          saga,
          status,
          n: await sagas.count({ name: saga, state: status }),
        })),
      ),
    ),
  );
  set.gauge(
    'saga_instances',
    'Saga instances in the saga index, by saga and status.',
    ['saga', 'status'],
    async (g) => {
      const counts = await readCounts();
      g.reset();
      for (const { saga, status, n } of counts) g.set({ saga, status }, n);
    },
  );
  const applied = set.counter(
    'saga_inputs_applied_total',
    'Inputs (events, timeouts, operator requests) this process applied to saga instances.',
    ['saga'],
  );
  const parked = set.counter(
    'saga_parked_total',
    'Times an instance was parked by this process (a compensation or retriable step out of attempts, an action that threw, an unknown version).',
    ['saga'],
  );
  const fired = set.counter('saga_timeouts_fired_total', 'Timeouts this process fired.', ['saga']);
  const late = set.gauge(
    'saga_timeout_delay_max_seconds',
    'The longest delay between a timeout falling due and its firing, since the previous scrape.',
    ['saga'],
    (g) => {
      for (const saga of names) g.set({ saga }, worst.get(saga) ?? 0);
      worst.clear();
    },
  );
  const deadLettered = set.counter(
    'reactor_dead_lettered_total',
    'Events a reactor of this process gave up on and recorded as dead letters.',
    ['reactor'],
  );
  const worst = new Map<string, number>();
  for (const saga of names) {
    applied.inc({ saga }, 0);
    parked.inc({ saga }, 0);
    fired.inc({ saga }, 0);
    late.set({ saga }, 0);
  }
  const unsubscribe = [
    sagas.on('applied', (e) => applied.inc({ saga: e.saga })),
    sagas.on('parked', (e) => parked.inc({ saga: e.saga })),
    sagas.on('timeout-fired', (e) => {
      fired.inc({ saga: e.saga });
      worst.set(e.saga, Math.max(worst.get(e.saga) ?? 0, Math.max(0, e.firedAt - e.dueAt) / 1000));
    }),
    sagas.on('dead-lettered', (e) => deadLettered.inc({ reactor: e.reactor })),
  ];
  return {
    registry: set.registry,
    close() {
      for (const off of unsubscribe.splice(0)) off();
      set.remove();
    },
  };
}
