/**
 * The order-fulfilment system: the four services (each on its own store), the board, and the order
 * generator, wired through one broker. `main.ts` runs all of them in one process (the embedded
 * default) or one of them per process; the tests drive it directly.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCodes, type EventStore, openStore, ValidationError } from 'factum';
import { openBroker } from 'factum/brokers';
import type { Broker } from 'factum/messaging';
import { type Board, startBoard } from './board.js';
import { CATALOG, type OrderPlacedData, unitHash } from './domain.js';
import type { Totals } from './read-model.js';
import {
  SERVICES,
  type ServiceName,
  type ServiceNode,
  type ServiceNodeOptions,
  startService,
} from './service.js';
import { placeOrder } from './services.js';

export type Role = ServiceName | 'board';
export const ROLES: readonly Role[] = [...SERVICES, 'board'];

export interface FulfilmentOptions extends ServiceNodeOptions {
  /** How long an order may stay open before the invariant calls it stuck (default 30 s). */
  orderSlaMs?: number;
}

export interface FulfilmentTopology {
  /** The store of each role run here (a role without a store is not run here). */
  stores: Partial<Record<Role, EventStore>>;
  broker: Broker;
  /** For the board's stock check: the inventory service's store (default: the board's copy). */
  inventory?: EventStore;
}

export interface Fulfilment {
  readonly services: readonly ServiceNode[];
  readonly board: Board | undefined;
  /** Places orders at `perSecond` until `signal` aborts or `count` are placed; resolves with how many. */
  generate(options: { perSecond: number; count?: number; signal?: AbortSignal }): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the roles given stores, on the broker. */
export async function startFulfilment(
  topology: FulfilmentTopology,
  options: FulfilmentOptions = {},
): Promise<Fulfilment> {
  const services: ServiceNode[] = [];
  for (const name of SERVICES) {
    const store = topology.stores[name];
    if (store !== undefined) services.push(await startService(name, store, topology.broker, options));
  }
  const boardStore = topology.stores.board;
  const board =
    boardStore === undefined
      ? undefined
      : await startBoard(boardStore, topology.broker, {
          ...(options.mode === undefined ? {} : { mode: options.mode }),
          ...(options.orderSlaMs === undefined ? {} : { orderSlaMs: options.orderSlaMs }),
          ...(options.runtime === undefined ? {} : { runtime: options.runtime }),
          inventory: topology.inventory ?? topology.stores.inventory ?? boardStore,
        });
  const stopped = new AbortController();
  const orders = topology.stores.orders;
  const run = Date.now().toString(36);
  let sequence = 0;
  return {
    services,
    board,
    async generate({ perSecond, count, signal }) {
      if (orders === undefined)
        throw new Error('orders are placed by the orders service: it does not run here');
      const start = performance.now();
      let placed = 0;
      while (!stopped.signal.aborted && signal?.aborted !== true && (count === undefined || placed < count)) {
        const due = Math.floor(((performance.now() - start) / 1000) * perSecond);
        const batch: Promise<unknown>[] = [];
        while (placed < due && (count === undefined || placed < count)) {
          batch.push(placeOrder(orders, nextOrder(`${run}-${++sequence}`)));
          placed++;
        }
        await Promise.all(batch);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return placed;
    },
    async stop() {
      stopped.abort();
      await board?.stop();
      for (const s of services) await s.stop();
    },
  };
}

/** An order of one line: a SKU weighted toward the cheap ones, 1-3 units, one of 500 customers. */
export function nextOrder(orderId: string): OrderPlacedData {
  const pick = unitHash(`sku:${orderId}`);
  const sku = pick < 0.35 ? 'MUG' : pick < 0.65 ? 'LAMP' : pick < 0.88 ? 'CHAIR' : 'DESK';
  const qty = 1 + Math.floor(unitHash(`qty:${orderId}`) * 3);
  const price = CATALOG[sku]?.price ?? 0;
  return {
    orderId,
    customer: `c-${Math.floor(unitHash(`customer:${orderId}`) * 500)}`,
    lines: [{ sku, qty, price }],
    total: qty * price,
  };
}

/**
 * Where each role keeps its events, from one base URL: `sqlite:<dir>` gives each role its own file
 * (`<dir>/orders.db`, …); `postgres://…` gives each role its own schema (`fulfilment_orders`, …) in
 * that database.
 */
export function storeUrlOf(base: string, role: Role): string {
  if (base.startsWith('sqlite:'))
    return `sqlite:${base.slice('sqlite:'.length).replace(/\/+$/, '')}/${role}.db`;
  if (/^postgres(ql)?:\/\//.test(base)) {
    const url = new URL(base);
    const prefix = url.searchParams.get('schema') ?? 'fulfilment';
    url.searchParams.set('schema', `${prefix}_${role}`);
    return url.toString();
  }
  throw new ValidationError(
    ErrorCodes.INVALID_ARGUMENT,
    'FACTUM_STORE_URL',
    `FACTUM_STORE_URL must be sqlite:<directory> or postgres://…, got ${base}`,
  );
}

export interface OpenedSystem {
  topology: FulfilmentTopology;
  close(): Promise<void>;
}

/**
 * Opens the stores of `roles` under `storeBase` and the broker at `brokerUrl` (`sqlite:<file>` for
 * the embedded transport). The board also opens the inventory service's store to read its stock.
 */
export async function openSystem(
  roles: readonly Role[],
  storeBase: string,
  brokerUrl: string,
  brokerName = 'fulfilment',
): Promise<OpenedSystem> {
  const open = async (role: Role) => {
    const url = storeUrlOf(storeBase, role);
    if (url.startsWith('sqlite:')) mkdirSync(dirname(url.slice('sqlite:'.length)), { recursive: true });
    // The board's store is a copy of what the services keep (and its read models): it commits
    // without waiting for the disk, as derived state does (still atomic; a process crash loses nothing).
    return openStore(url, { migrate: true, ...(role === 'board' ? { synchronous: 'NORMAL' as const } : {}) });
  };
  if (brokerUrl.startsWith('sqlite:'))
    mkdirSync(dirname(brokerUrl.slice('sqlite:'.length).split('?')[0]!), { recursive: true });
  const stores: Partial<Record<Role, EventStore>> = {};
  for (const role of roles) stores[role] = await open(role);
  const extra: EventStore[] = [];
  let inventory = stores.inventory;
  if (stores.board !== undefined && inventory === undefined) {
    inventory = await open('inventory');
    extra.push(inventory);
  }
  const broker = await openBroker(brokerUrl, { name: brokerName });
  return {
    topology: { stores, broker, ...(inventory === undefined ? {} : { inventory }) },
    async close() {
      await broker.close();
      for (const store of [...Object.values(stores), ...extra]) await store?.close();
    },
  };
}

export type { Totals };
