/**
 * A server that shows a copy of the saga streams (a board fed by the broker) records operator actions
 * on sagas in the store the sagas run on (`sagaStore`), and its audit trail in its own store.
 */
import { join } from 'node:path';
import { openStore } from 'factum';
import { createSagas } from 'factum/sagas';
import { hashToken, serve } from 'factum/server';
import { afterAll, describe, expect, it } from 'vitest';
import { fulfilmentServices, orderFulfilment } from '../../examples/sagas/order-fulfilment.js';
import { waitUntil } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-saga-store-');
const token = 'operator-token-0123456789';
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('serve({ sagaStore })', () => {
  it('records a saga action where the saga runs, and refuses one on an instance only a copy would have', async () => {
    const sagaHome = await openStore(`sqlite:${join(dir, 'orders.db')}`);
    const board = await openStore(`sqlite:${join(dir, 'board.db')}`);
    closers.push(
      () => sagaHome.close(),
      () => board.close(),
    );
    const sagas = await createSagas(sagaHome, {
      sagas: [orderFulfilment],
      reactors: fulfilmentServices(sagaHome, { declineAbove: 1_000, stock: new Map([['LAMP', 5]]) }),
      lease: { strategy: 'row', ttlMs: 2_000, renewEveryMs: 200, acquireEveryMs: 50 },
    });
    sagas.start();
    closers.push(() => sagas.stop());
    await sagaHome.append('order-o-1', [
      { type: 'OrderPlaced', data: { orderId: 'o-1', total: 100, items: [{ sku: 'LAMP', qty: 1 }] } },
    ]);
    await waitUntil(async () => (await sagas.get('order_fulfilment', 'o-1'))?.status === 'completed', 20_000);
    const sagaStream = 'saga_order_fulfilment-o-1';
    const before = (await sagaHome.readStream(sagaStream)).version;

    const tokens = [{ name: 'ops', role: 'operator' as const, sha256: hashToken(token) }];
    const post = (url: string) =>
      fetch(`${url}/api/v1/sagas/order_fulfilment/o-1/retry`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'operator check', waitMs: 3_000 }),
      });

    const server = await serve({ store: board, sagaStore: sagaHome, port: 0, tokensFromEnv: false, tokens });
    closers.push(() => server.close());
    const response = await post(server.url);
    expect(response.status, await response.clone().text()).toBe(200);
    // The request went to the saga's own stream, where the runtime answered it ...
    expect((await sagaHome.readStream(sagaStream)).version).toBeGreaterThan(before);
    expect((await board.readStream(sagaStream)).exists).toBe(false);
    // ... and the audit trail is the server's.
    const audit = await board.readAll({ categories: ['factum_audit'] });
    expect(audit.events.map((e) => (e.data as { action: string }).action)).toEqual(['saga.retry']);

    // Without it, the server looks for the instance in its own store, which has no saga streams.
    const alone = await serve({ store: board, port: 0, tokensFromEnv: false, tokens });
    closers.push(() => alone.close());
    expect((await post(alone.url)).status).toBe(404);
  }, 40_000);
});
