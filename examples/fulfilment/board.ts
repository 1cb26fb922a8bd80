/**
 * The board: the operator's view of the whole system. It takes every service's events from the
 * broker and keeps a copy of each stream in a store of its own (same event ids, same stream versions),
 * so the dashboard shows an order's whole flow across the four services; on that copy it runs the
 * fulfilment board projection and the saga index, and checks the invariants.
 *
 * Copying is exact: an event is appended at its own stream version with its own id, so a redelivered
 * event is recognised (the store's idempotent-retry rule), an event that overtook the one before it is
 * refused and tried again, and the copy of a stream is never reordered.
 */
import { ErrorCodes, type EventStore, isFactumError, type StoredEvent } from 'factum';
import type { Broker, Consumer } from 'factum/messaging';
import { createProjections, type Projections, type ProjectionsOptions } from 'factum/projections';
import { createSagas, listSagas, type Sagas } from 'factum/sagas';
import type { AppCheck } from 'factum/server';
import { SKUS } from './domain.js';
import { fulfilmentBoard, ORDERS, type OrderDoc, TOTALS, type Totals } from './read-model.js';
import { fulfilmentSaga } from './saga.js';
import { ALL_GROUPS, groupOf, type Mode } from './service.js';
import { stockLevel } from './services.js';

export interface BoardOptions {
  mode?: Mode;
  /** How long an order may stay open before the invariant calls it stuck (default 30 s). */
  orderSlaMs?: number;
  /**
   * The inventory service's own store, read for the stock invariant (the service's fold of a SKU's
   * stream, compared with the board's totals at the same version). Default: the board's copy.
   */
  inventory?: EventStore;
  runtime?: Pick<ProjectionsOptions, 'lease'>;
}

export interface Board {
  readonly store: EventStore;
  readonly projections: Projections;
  /** The saga index over the copied saga streams (read-only: the saga runs in the orders service). */
  readonly sagaIndex: Sagas['index'];
  checks(): Promise<AppCheck[]>;
  totals(): Promise<Totals | null>;
  /** Whether every order the board has seen has ended (and, orchestrated, every saga). */
  settled(): Promise<boolean>;
  stop(): Promise<void>;
}

/** Appends a copy of `event` at its own version in `copy` (nothing when it is there already). */
export async function copyEvent(copy: EventStore, event: StoredEvent): Promise<void> {
  try {
    await copy.append(
      event.streamId,
      [{ id: event.id, type: event.type, data: event.data, metadata: event.metadata }],
      { expectedVersion: event.version - 1 },
    );
  } catch (error) {
    // Copied before, and the stream has moved on since: a late redelivery.
    if (isFactumError(error, ErrorCodes.DUPLICATE_EVENT_ID)) return;
    throw error;
  }
}

const money = (cents: number) => (cents / 100).toFixed(2);

export async function startBoard(
  store: EventStore,
  broker: Broker,
  options: BoardOptions = {},
): Promise<Board> {
  const mode = options.mode ?? 'orchestrated';
  const slaMs = options.orderSlaMs ?? 30_000;
  // How long the events of one order may take to reach the board from different services.
  const graceMs = 10_000;
  const inventory = options.inventory ?? store;
  const lease = options.runtime?.lease === undefined ? {} : { lease: options.runtime.lease };
  const projections = await createProjections(store, { async: [fulfilmentBoard], ...lease });
  const sagas = await createSagas(store, { sagas: [fulfilmentSaga], ...lease });
  for (const group of ALL_GROUPS) await broker.declareGroup({ group });
  const consumer: Consumer = await broker.consume(
    // An event that overtook the one before it (competing deliveries) waits for it: tried again.
    { group: groupOf('board'), maxDeliveries: 50, retry: { initialDelayMs: 10, maxDelayMs: 500 } },
    (event) => copyEvent(store, event),
  );
  projections.start();
  sagas.index.start();
  const board = projections.documents<OrderDoc>(ORDERS);
  const totals = async () => (await projections.documents<Totals>(TOTALS).get('all')) ?? null;

  return {
    store,
    projections,
    sagaIndex: sagas.index,
    totals,
    async checks() {
      const t = await totals();
      if (t === null) return [{ name: 'the board is built', ok: false, detail: 'no totals yet' }];
      const now = Date.now();
      const open = await board.count({ status: 'placed' });
      const stuck = await board.count({ status: 'placed', placedAt: { lt: now - slaMs } });
      const lateUnbalanced =
        t.unbalanced === 0 ? 0 : await board.count({ balanced: false, endedAt: { lt: now - graceMs } });
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
          // The board hears each service on its own: an order's end may arrive before its last
          // payment event. Such an order is unbalanced for a moment, not for longer than the grace.
          name: 'charged − refunded = value shipped + open charges',
          ok:
            lateUnbalanced === 0 &&
            (t.unbalanced > 0 || t.charged - t.refunded === t.shippedValue + t.openCharged),
          detail:
            `${money(t.charged)} − ${money(t.refunded)} vs ${money(t.shippedValue)} + ${money(t.openCharged)}` +
            (t.unbalanced === 0
              ? ''
              : `; ${t.unbalanced} ended orders await a payment event (${lateUnbalanced} for more than ${graceMs / 1000} s)`),
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
        const own = (await stockLevel(inventory, sku, s.version)).available;
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
    async settled() {
      const t = await totals();
      return (
        t !== null &&
        t.placed === t.shipped + t.cancelled &&
        t.unbalanced === 0 &&
        (await board.count({ status: 'placed' })) === 0 &&
        // The saga of a shipped order records its completion just after the order's end.
        (mode !== 'orchestrated' ||
          (await listSagas(projections.storage, { name: fulfilmentSaga.name, state: 'running', limit: 1 }))
            .length === 0)
      );
    },
    async stop() {
      await consumer.stop();
      await sagas.index.stop();
      await projections.stop();
    },
  };
}
