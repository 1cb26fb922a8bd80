/**
 * The order-fulfilment system on one store: the four services, the saga (or, choreographed, the
 * services alone), the fulfilment board, the invariants, an order generator and a restocking
 * warehouse. `main.ts` runs it with the dashboard; the tests drive it directly.
 */
import type { EventStore } from 'factum';
import { createProjections, type Projections, type ProjectionsOptions } from 'factum/projections';
import { createSagas, listSagas, type Sagas } from 'factum/sagas';
import type { AppCheck } from 'factum/server';
import { CATALOG, type OrderPlacedData, SKUS, unitHash } from './domain.js';
import { fulfilmentBoard, ORDERS, type OrderDoc, TOTALS, type Totals } from './read-model.js';
import { fulfilmentSaga } from './saga.js';
import {
  choreographedServices,
  initialiseStock,
  orchestratedServices,
  placeOrder,
  restockLow,
  type ServiceOptions,
  stockLevel,
} from './services.js';

export interface FulfilmentOptions extends ServiceOptions {
  /** 'orchestrated' (the saga, default) or 'choreographed' (the services react to each other). */
  mode?: 'orchestrated' | 'choreographed';
  /** How long an order may stay open before the invariant calls it stuck (default 30 s). */
  orderSlaMs?: number;
  /** How often the warehouse restocks what runs low (default 5 s), and how much of each SKU's restock amount (default 1). */
  restockEveryMs?: number;
  restockScale?: number;
  /** Passed to the projections and sagas runtimes (lease timing in tests, a storage for the memory store). */
  runtime?: Pick<ProjectionsOptions, 'lease' | 'storage'>;
}

export interface Fulfilment {
  readonly projections: Projections;
  readonly sagas: Sagas;
  /** The invariants, each checked now. */
  checks(): Promise<AppCheck[]>;
  /** The board's totals (what the invariants read). */
  totals(): Promise<Totals>;
  /** Places orders at `perSecond` until `stop` (or until `count` are placed); resolves when it stops. */
  generate(options: { perSecond: number; count?: number; signal?: AbortSignal }): Promise<number>;
  /** Whether every placed order has ended (shipped or cancelled). */
  settled(): Promise<boolean>;
  stop(): Promise<void>;
}

const money = (cents: number) => (cents / 100).toFixed(2);

/** Starts the services, the saga or the choreography, the board and the warehouse on `store`. */
export async function startFulfilment(
  store: EventStore,
  options: FulfilmentOptions = {},
): Promise<Fulfilment> {
  const mode = options.mode ?? 'orchestrated';
  const slaMs = options.orderSlaMs ?? 30_000;
  await initialiseStock(store);
  const projections = await createProjections(store, { async: [fulfilmentBoard], ...options.runtime });
  const sagas = await createSagas(store, {
    sagas: mode === 'orchestrated' ? [fulfilmentSaga] : [],
    reactors: mode === 'orchestrated' ? orchestratedServices(options) : choreographedServices(store, options),
    ...(options.runtime?.lease === undefined ? {} : { lease: options.runtime.lease }),
    ...(options.runtime?.storage === undefined ? {} : { storage: options.runtime.storage }),
  });
  projections.start();
  sagas.start();
  const restock = setInterval(
    () => void restockLow(store, options.restockScale ?? 1).catch(() => {}),
    options.restockEveryMs ?? 5_000,
  );
  const stopped = new AbortController();
  const board = projections.documents<OrderDoc>(ORDERS);
  const totals = async () => ((await projections.documents<Totals>(TOTALS).get('all')) ?? null) as Totals;
  const run = Date.now().toString(36);
  let sequence = 0;

  return {
    projections,
    sagas,
    totals,
    async checks() {
      const t = await totals();
      if (t === null) return [{ name: 'the board is built', ok: false, detail: 'no totals yet' }];
      const now = Date.now();
      const open = await board.count({ status: 'placed' });
      const stuck = await board.count({ status: 'placed', placedAt: { lt: now - slaMs } });
      const checks: AppCheck[] = [
        {
          name: 'every order ends shipped or cancelled within its SLA',
          ok: stuck === 0,
          detail: `${t.placed} placed: ${t.shipped} shipped, ${t.cancelled} cancelled, ${open} open, ${stuck} open longer than ${slaMs / 1000} s`,
        },
        {
          name: 'a cancelled order has its payment refunded',
          ok: t.cancelledCharged === t.cancelledRefunded,
          detail: `charged ${money(t.cancelledCharged)}, refunded ${money(t.cancelledRefunded)} on cancelled orders`,
        },
        {
          name: 'charged − refunded = value shipped + open charges',
          ok: t.charged - t.refunded === t.shippedValue + t.openCharged,
          detail: `${money(t.charged)} − ${money(t.refunded)} vs ${money(t.shippedValue)} + ${money(t.openCharged)}`,
        },
        {
          name: 'no order charged or refunded twice',
          ok: t.duplicateCharges === 0 && t.duplicateRefunds === 0,
          detail: `${t.duplicateCharges} second charges, ${t.duplicateRefunds} second refunds`,
        },
      ];
      const levels: string[] = [];
      let stockOk = true;
      for (const sku of SKUS) {
        const s = t.stock[sku];
        if (s === undefined) continue;
        const level = s.initial + s.restocked - s.reserved + s.released;
        // The inventory service's own level at the same stream version: two computations, one answer.
        const own = (await stockLevel(store, sku, s.version)).available;
        if (level < 0 || level !== own) stockOk = false;
        levels.push(`${sku} ${level}${level === own ? '' : ` (service says ${own})`}`);
      }
      checks.push({
        name: 'stock is never negative and = initial + restocked − reserved + released',
        ok: stockOk,
        detail: levels.join(', '),
      });
      if (mode === 'orchestrated') {
        const parked = await listSagas(projections.storage, { name: fulfilmentSaga.name, state: 'parked' });
        const aborted = await listSagas(projections.storage, { name: fulfilmentSaga.name, state: 'aborted' });
        const running = await listSagas(projections.storage, {
          name: fulfilmentSaga.name,
          state: 'running',
          limit: 1_000,
        });
        const late = running.filter((s) => Date.parse(s.startedAt) < now - slaMs).length;
        checks.push({
          name: 'every saga ends completed or compensated',
          ok: parked.length === 0 && aborted.length === 0 && late === 0,
          detail: `${parked.length} parked, ${aborted.length} aborted, ${running.length} running (${late} longer than ${slaMs / 1000} s)`,
        });
      }
      return checks;
    },
    async generate({ perSecond, count, signal }) {
      const start = performance.now();
      let placed = 0;
      while (!stopped.signal.aborted && signal?.aborted !== true && (count === undefined || placed < count)) {
        const due = Math.floor(((performance.now() - start) / 1000) * perSecond);
        const batch: Promise<unknown>[] = [];
        while (placed < due && (count === undefined || placed < count)) {
          batch.push(placeOrder(store, nextOrder(`${run}-${++sequence}`)));
          placed++;
        }
        await Promise.all(batch);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return placed;
    },
    async settled() {
      const t = await totals();
      return (
        t !== null && t.placed === t.shipped + t.cancelled && (await board.count({ status: 'placed' })) === 0
      );
    },
    async stop() {
      stopped.abort();
      clearInterval(restock);
      await sagas.stop();
      await projections.stop();
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
