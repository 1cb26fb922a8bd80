import {
  Counter,
  Gauge,
  type OpenMetricsContentType,
  type PrometheusContentType,
  type Registry,
  register,
} from 'prom-client';
import { ErrorCodes, ValidationError } from '../core/errors.js';

/** A prom-client registry, in either exposition format. */
export type MetricsRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

export interface MetricsOptions {
  /** Where the metrics are registered (default: prom-client's global `register`). */
  registry?: MetricsRegistry;
  /** Put before every metric name (default 'factum_'). */
  prefix?: string;
  /**
   * Called when reading a status at scrape time fails (the failure is also counted, and the gauges
   * that depend on it are left out of that scrape). Default: nothing.
   */
  onError?: (error: unknown) => void;
}

/** Metrics registered on a registry; `close()` stops counting and removes them from it. */
export interface Metrics {
  readonly registry: MetricsRegistry;
  /** Unsubscribes from the instrumentation events and removes these metrics from the registry. */
  close(): void;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * The metrics one call registers, so they are registered under one prefix and removed together; a name
 * already taken on the registry fails the whole call (nothing stays registered).
 */
export class MetricSet {
  readonly registry: MetricsRegistry;
  readonly #prefix: string;
  readonly #names: string[] = [];

  constructor(options: MetricsOptions) {
    this.registry = options.registry ?? register;
    this.#prefix = options.prefix ?? 'factum_';
    if (this.#prefix !== '' && !NAME.test(this.#prefix)) {
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'prefix',
        `Metric prefix ${JSON.stringify(this.#prefix)} is not valid: use letters, digits, '_' and ':', not starting with a digit`,
      );
    }
  }

  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect?: (gauge: Gauge<L>) => Promise<void> | void,
  ): Gauge<L> {
    return new Gauge<L>(this.#config(name, help, labelNames, collect));
  }

  counter<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect?: (counter: Counter<L>) => Promise<void> | void,
  ): Counter<L> {
    return new Counter<L>(this.#config(name, help, labelNames, collect));
  }

  /** A metric's configuration: its prefixed (claimed) name, this registry, and the collect callback if any. */
  #config<L extends string, M>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: ((metric: M) => Promise<void> | void) | undefined,
  ) {
    return {
      name: this.#claim(name),
      help,
      labelNames,
      registers: [this.registry],
      ...(collect === undefined
        ? {}
        : {
            collect(this: M) {
              return collect(this);
            },
          }),
    };
  }

  /** Removes every metric of this set from the registry. */
  remove(): void {
    for (const name of this.#names.splice(0)) this.registry.removeSingleMetric(name);
  }

  #claim(name: string): string {
    const fullName = `${this.#prefix}${name}`;
    if (this.registry.getSingleMetric(fullName) !== undefined) {
      this.remove();
      throw new ValidationError(
        ErrorCodes.INVALID_ARGUMENT,
        'registry',
        `Metric ${fullName} is already registered on this registry: close() the metrics registered earlier, or pass another registry or prefix`,
      );
    }
    this.#names.push(fullName);
    return fullName;
  }
}

/**
 * One read shared by every metric collected in the same scrape: prom-client asks each metric for its
 * values at once, so the first caller starts the read and the others join it until it settles.
 */
export function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let inflight: Promise<T> | undefined;
  return () => {
    if (inflight === undefined) {
      inflight = read().finally(() => {
        inflight = undefined;
      });
    }
    return inflight;
  };
}
