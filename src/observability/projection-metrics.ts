import type { InstanceProjectionStatus, Projections } from '../projections/projections.js';
import { MetricSet, type Metrics, type MetricsOptions, sharedRead } from './metric-set.js';

/** What projectionMetrics needs of a Projections instance: its status and its instrumentation events. */
export type ObservedProjections = Pick<Projections, 'status' | 'on'>;

const LEASE_STATES = ['acquired', 'lost', 'released'] as const;

/**
 * Prometheus metrics of a Projections instance, labelled by `projection`.
 *
 * Gauges are read from `projections.status()` when the registry is scraped (one status read per
 * scrape), so they are as current as `factum lag`: lag, events behind, dead letters, parked events,
 * SLA breached and its bound, whether this process runs the projection, the live generation. They
 * cover every projection registered on the store, wherever it runs.
 *
 * Counters come from the instrumentation events of this process's runners: events processed,
 * checkpoints committed, events dead-lettered and parked, runner restarts, lease changes, alerts.
 *
 * ```ts
 * const metrics = projectionMetrics(projections); // on prom-client's global registry
 * http.createServer(metricsHandler(metrics.registry)).listen(9464);
 * ```
 */
export function projectionMetrics(projections: ObservedProjections, options: MetricsOptions = {}): Metrics {
  const set = new MetricSet(options);
  const read = sharedRead(async (): Promise<InstanceProjectionStatus[]> => {
    try {
      return await projections.status();
    } catch (error) {
      statusErrors.inc();
      options.onError?.(error);
      return [];
    }
  });
  // Collected after the scrape's read, so a failure shows in the scrape it happened in.
  const statusErrors = set.counter(
    'projection_status_errors_total',
    'Scrapes in which reading the projections status failed; the projection gauges are left out of those.',
    [],
    async () => {
      await read();
    },
  );

  const gauge = (name: string, help: string, value: (s: InstanceProjectionStatus) => number | undefined) =>
    set.gauge(name, help, ['projection'], async (g) => {
      const statuses = await read();
      g.reset();
      for (const s of statuses) {
        const v = value(s);
        if (v !== undefined) g.set({ projection: s.name }, v);
      }
    });
  gauge(
    'projection_lag_seconds',
    'Age of the oldest event the projection has not processed yet (0 when caught up).',
    (s) => s.lagMs / 1000,
  );
  gauge('projection_events_behind', 'Events in the log after the projection checkpoint.', (s) => s.behind);
  gauge('projection_dead_letters', 'Dead letters of the live generation.', (s) => s.deadLetters);
  gauge(
    'projection_parked_events',
    'Events parked behind a dead letter of the same ordering key.',
    (s) => s.parked,
  );
  gauge('projection_paused', '1 while an operator has paused the projection, else 0.', (s) =>
    s.paused === null ? 0 : 1,
  );
  gauge('projection_sla_breached', '1 while the lag is above the projection SLA, else 0.', (s) =>
    s.sla === null ? undefined : s.breached ? 1 : 0,
  );
  gauge('projection_sla_max_lag_seconds', 'The lag the projection SLA allows.', (s) =>
    s.sla === null ? undefined : s.sla.maxLagMs / 1000,
  );
  gauge(
    'projection_runner_active',
    "1 while this process's runner holds the projection lease, 0 while it stands by or is stopped.",
    (s) => (s.local === undefined ? undefined : s.local === 'active' ? 1 : 0),
  );
  gauge('projection_generation', 'The generation of the read model readers see.', (s) => s.generation);

  // Counters count what this process's runners do; each scrape starts the series of its async
  // projections at 0, so rate() sees their first increase.
  const runHere = async () => (await read()).filter((s) => s.local !== undefined);
  const counter = (name: string, help: string) =>
    set.counter(name, help, ['projection'], async (c) => {
      for (const s of await runHere()) c.inc({ projection: s.name }, 0);
    });
  const processed = counter(
    'projection_events_processed_total',
    'Events the checkpoint moved past: handled, of types the projection does not handle, parked or dead-lettered.',
  );
  const checkpoints = counter('projection_checkpoints_total', 'Batches committed with their checkpoint.');
  const deadLettered = counter('projection_dead_lettered_total', 'Events dead-lettered after their retries.');
  const parked = counter('projection_parked_total', 'Events parked behind a dead letter.');
  const runnerErrors = counter(
    'projection_runner_errors_total',
    'Errors a runner recovered from by restarting from its checkpoint.',
  );
  const leaseChanges = set.counter(
    'projection_lease_changes_total',
    "Changes of this process's hold on a projection lease, by state (acquired, lost, released).",
    ['projection', 'state'],
    async (c) => {
      for (const s of await runHere()) {
        for (const state of LEASE_STATES) c.inc({ projection: s.name, state }, 0);
      }
    },
  );
  const alerts = set.counter(
    'projection_alerts_total',
    'Alerts raised, by kind (sla-breached, sla-recovered, dead-letters).',
    ['projection', 'kind'],
    async (c) => {
      for (const s of await runHere()) {
        c.inc({ projection: s.name, kind: 'dead-letters' }, 0);
        if (s.sla === null) continue;
        c.inc({ projection: s.name, kind: 'sla-breached' }, 0);
        c.inc({ projection: s.name, kind: 'sla-recovered' }, 0);
      }
    },
  );

  const unsubscribe = [
    projections.on('checkpoint', (c) => {
      processed.inc({ projection: c.projection }, c.events);
      checkpoints.inc({ projection: c.projection });
    }),
    projections.on('dead-letter', (d) => {
      (d.status === 'dead' ? deadLettered : parked).inc({ projection: d.projection });
    }),
    projections.on('error', (e) => runnerErrors.inc({ projection: e.projection })),
    projections.on('lease', (l) => leaseChanges.inc({ projection: l.projection, state: l.state })),
    projections.on('alert', (a) => alerts.inc({ projection: a.projection, kind: a.kind })),
  ];

  return {
    registry: set.registry,
    close() {
      for (const off of unsubscribe.splice(0)) off();
      set.remove();
    },
  };
}
