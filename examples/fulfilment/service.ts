/**
 * One service of the fulfilment system as it runs anywhere: on its own store, publishing every event
 * it records to the broker (a relay of its log), and taking from the broker the other services' events
 * it answers (a consumer group of its own). The same code runs four services in one process on
 * SQLite files and the SQLite transport (`npm start`), or one service per process on PostgreSQL and
 * RabbitMQ, Kafka, NATS or SQS (`npm run fulfilment -- --service payments`).
 *
 * Handling an event from the broker twice changes nothing: the saga records each input once, and a
 * reactor's appends have ids derived from the event it answers (see factum/sagas), so a redelivery
 * after a crash appends nothing new.
 */
import type { EventStore } from 'factum';
import type { Broker, Consumer, Relay } from 'factum/messaging';
import { eventLogSource, startRelay } from 'factum/messaging';
import type { ProjectionsOptions } from 'factum/projections';
import { createSagas, type Reactor, react, type Sagas } from 'factum/sagas';
import { fulfilmentSaga } from './saga.js';
import {
  choreographedServices,
  initialiseStock,
  orchestratedServices,
  restockLow,
  type ServiceOptions,
} from './services.js';

export const SERVICES = ['orders', 'payments', 'inventory', 'shipping'] as const;
export type ServiceName = (typeof SERVICES)[number];
export type Mode = 'orchestrated' | 'choreographed';

/**
 * What each service takes from the broker: the events of other services it answers. Orchestrated,
 * the orders service hosts the saga, which hears every service's replies; choreographed, each
 * service hears the one before it.
 */
export const BUS_INPUTS: Record<Mode, Record<ServiceName, readonly string[]>> = {
  orchestrated: {
    orders: [
      'PaymentSucceeded',
      'PaymentFailed',
      'PaymentRefunded',
      'StockReserved',
      'StockShort',
      'StockReleased',
      'ShipmentDispatched',
      'ShipmentConfirmed',
    ],
    payments: ['ChargePayment', 'RefundPayment'],
    inventory: ['ReserveStock', 'ReleaseStock'],
    shipping: ['ShipOrder'],
  },
  choreographed: {
    orders: ['ShipmentDispatched', 'PaymentFailed', 'PaymentRefunded'],
    payments: ['OrderPlaced', 'StockShort'],
    inventory: ['PaymentSucceeded'],
    shipping: ['StockReserved'],
  },
};

/** The consumer group of a service (or of the board). */
export const groupOf = (role: ServiceName | 'board') => `fulfilment-${role}`;

/** Every group of the system: declared by whoever starts first, so no group misses an early event. */
export const ALL_GROUPS = [...SERVICES.map(groupOf), groupOf('board')];

export interface ServiceNodeOptions extends ServiceOptions {
  mode?: Mode;
  /** The inventory service: how often the warehouse restocks what runs low (default 5 s), and how much (default 1). */
  restockEveryMs?: number;
  /** The inventory service: its initial stock, times this (default 1). */
  stockScale?: number;
  restockScale?: number;
  /** Passed to the sagas runtime (lease timing in tests). */
  runtime?: Pick<ProjectionsOptions, 'lease'>;
}

export interface ServiceNode {
  readonly name: ServiceName;
  readonly store: EventStore;
  readonly sagas: Sagas;
  readonly relay: Relay;
  stop(): Promise<void>;
}

/** The reactors one service runs, in the chosen style. */
export function reactorsOf(name: ServiceName, options: ServiceNodeOptions): Reactor[] {
  const all =
    options.mode === 'choreographed' ? choreographedServices(options) : orchestratedServices(options);
  return all.filter((r) => r.name === name);
}

/** Starts one service on its store and the broker. */
export async function startService(
  name: ServiceName,
  store: EventStore,
  broker: Broker,
  options: ServiceNodeOptions = {},
): Promise<ServiceNode> {
  const mode = options.mode ?? 'orchestrated';
  if (name === 'inventory') await initialiseStock(store, options.stockScale ?? 1);
  const reactors = reactorsOf(name, options);
  const sagas = await createSagas(store, {
    sagas: name === 'orders' && mode === 'orchestrated' ? [fulfilmentSaga] : [],
    reactors,
    ...(options.runtime?.lease === undefined ? {} : { lease: options.runtime.lease }),
  });
  for (const group of ALL_GROUPS) await broker.declareGroup({ group });
  const relay = startRelay({ source: eventLogSource(store), broker, owner: name });
  const consumer: Consumer = await broker.consume(
    {
      group: groupOf(name),
      types: BUS_INPUTS[mode][name],
      // Reservations of one SKU race with the warehouse's restocks: a conflict is tried again.
      maxDeliveries: 30,
      retry: { initialDelayMs: 10, maxDelayMs: 500 },
    },
    async (event) => {
      if (sagas.names.length > 0) await sagas.handle(event);
      for (const r of reactors) if (r.on.includes(event.type)) await react(store, r, event);
    },
  );
  sagas.start();
  const restock =
    name === 'inventory'
      ? setInterval(
          () => void restockLow(store, options.restockScale ?? 1).catch(() => {}),
          options.restockEveryMs ?? 5_000,
        )
      : undefined;
  return {
    name,
    store,
    sagas,
    relay,
    async stop() {
      clearInterval(restock);
      await consumer.stop();
      await sagas.stop();
      await relay.stop();
    },
  };
}
