// The code samples of docs/projections.md, run as tests (the page includes these regions verbatim).
import { join } from 'node:path';
import {
  createProjections,
  defineProjection,
  listDeadLetters,
  type ProjectionAlert,
  projectionStatus,
  type RebuildProgress,
  retryDeadLetter,
  skipDeadLetter,
} from 'factum/projections';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
import { orderSummaryProjection } from '../../examples/orders/order-summary.js';
import { sleep } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-docs-projections-');

let fixed = false;
// #region poison-definition
const shipping = defineProjection({
  name: 'shipping_labels',
  handles: ['OrderShipped'],
  documents: { shipping_labels: {} },
  // 3 retries 100 ms, 200 ms, 400 ms apart (the default), then the dead-letter table.
  retry: { retries: 3, initialDelayMs: 100 },
  async handle(event, tx) {
    const { carrier } = event.data as { carrier: string };
    if (!fixed && carrier === 'Pigeon') throw new Error(`no label format for carrier ${carrier}`);
    await tx.documents('shipping_labels').upsert(event.streamId, { carrier });
  },
});
// #endregion poison-definition

describe('docs/projections.md samples', () => {
  it('dead letters: alert, list, fix, retry, skip', async () => {
    const store = createSqliteStore(join(dir, 'poison.db'));
    const alerts: ProjectionAlert[] = [];
    const projections = await createProjections(store, {
      async: [shipping],
      onAlert: (alert) => alerts.push(alert),
      monitorEveryMs: 50,
    });
    projections.start();
    await store.append('order-1', [{ type: 'OrderShipped', data: { carrier: 'Pigeon' } }]);
    await store.append('order-1', [{ type: 'OrderShipped', data: { carrier: 'DHL' } }]);
    await store.append('order-2', [{ type: 'OrderShipped', data: { carrier: 'Pigeon' } }]);
    const { position } = await store.append('order-3', [{ type: 'OrderShipped', data: { carrier: 'UPS' } }]);
    await projections.waitFor('shipping_labels', position);
    await sleep(120);

    // #region dead-letters
    // alerts → [{ kind: 'dead-letters', projection: 'shipping_labels', dead: 2, parked: 1 }]
    const letters = await projections.listDeadLetters({ projection: 'shipping_labels' });
    // letters → dead:   order-1 v1 'no label format for carrier Pigeon' (with its stack)
    //           parked: order-1 v2 (waits behind it: order-1's events stay in order)
    //           dead:   order-2 v1
    // order-3 was applied: other streams keep flowing.

    fixed = true; // deploy the fix, then:
    await projections.retryDeadLetter(letters[0]!.id);
    // → { outcome: 'applied', released: 1 }: order-1 v1 then v2 applied, in order
    await projections.skipDeadLetter(letters[2]!.id);
    // → order-2 v1 dropped for good
    // #endregion dead-letters

    expect(alerts).toContainEqual({
      kind: 'dead-letters',
      projection: 'shipping_labels',
      dead: 2,
      parked: 1,
    });
    expect(letters.map((l) => [l.status, l.event.streamId, l.event.version])).toEqual([
      ['dead', 'order-1', 1],
      ['parked', 'order-1', 2],
      ['dead', 'order-2', 1],
    ]);
    expect(letters[0]!.error?.message).toBe('no label format for carrier Pigeon');
    const labels = projections.documents('shipping_labels');
    expect(await labels.get('order-1')).toEqual({ carrier: 'DHL' });
    expect(await labels.get('order-2')).toBeUndefined();
    expect(await labels.get('order-3')).toEqual({ carrier: 'UPS' });
    expect(await projections.listDeadLetters()).toEqual([]);
    await projections.stop();
    await store.close();
  });

  it('operator functions (what the CLI calls) and a rebuild with progress', async () => {
    const file = join(dir, 'ops.db');
    const store = createSqliteStore(file);
    const projections = await createProjections(store, { async: [orderSummaryProjection, shipping] });
    fixed = false;
    await store.append('order-7', [{ type: 'OrderPlaced', data: { orderId: '7', customer: 'Ada' } }]);
    const { position } = await store.append('order-7', [
      { type: 'OrderShipped', data: { carrier: 'Pigeon' } },
    ]);
    projections.start();
    await projections.waitFor('shipping_labels', position);
    await projections.waitFor('order_summary', position);

    // #region operations
    // From any process that can open the store; no projection code needed.
    const statuses = await projectionStatus(store);
    const report = statuses.map(
      (s) =>
        `${s.name} g${s.generation} at ${s.position}/${s.head}, ${s.behind} behind, lag ${s.lagMs} ms` +
        `${s.breached ? ' SLA BREACHED' : ''}, ${s.deadLetters} dead letters`,
    );
    const lagFailed = statuses.some((s) => s.breached); // `factum lag` exits 1 then

    const [letter] = await listDeadLetters(store, { projection: 'shipping_labels', status: 'dead' });
    await retryDeadLetter(store, letter!.id); // or skipDeadLetter(store, id)
    // The projection's active runner, wherever it runs, carries the request out within a second.
    // #endregion operations

    expect(lagFailed).toBe(false);
    expect(report[1]).toBe('shipping_labels g1 at 2/2, 0 behind, lag 0 ms, 1 dead letters');
    expect(statuses.map((s) => s.name)).toEqual(['order_summary', 'shipping_labels']);
    expect(statuses[1]).toMatchObject({ deadLetters: 1, behind: 0 });
    fixed = true;
    const deadline = Date.now() + 5_000;
    while ((await listDeadLetters(store)).length > 0 && Date.now() < deadline) await sleep(20);
    expect(await listDeadLetters(store)).toEqual([]);
    const other = await skipDeadLetter(store, 999).catch((e: Error) => e.message);
    expect(other).toBe('Not found: dead letter 999');

    const drawn: string[] = [];
    const draw = (line: string) => drawn.push(line);
    // #region rebuild
    const bar = (p: RebuildProgress) => {
      const width = 30;
      const filled = p.total === 0 ? width : Math.round((p.done / p.total) * width);
      return `${'#'.repeat(filled)}${'.'.repeat(width - filled)} ${p.done}/${p.total} ${p.rate}/s ETA ${Math.ceil(p.etaMs / 1000)} s`;
    };
    const result = await projections.rebuild('order_summary', {
      onProgress: (p) => draw(bar(p)), // e.g. process.stdout.write(`\r${line}`)
    });
    // Readers kept the old generation until the swap; now they read generation result.generation.
    // #endregion rebuild

    expect(result).toMatchObject({ projection: 'order_summary', generation: 2, events: 2 });
    expect(drawn.at(-1)).toMatch(/^#{30} 2\/2 \d+\/s ETA 0 s$/);
    expect(await projections.documents('order_summaries').get('7')).toMatchObject({ status: 'shipped' });
    await projections.stop();
    await store.close();
  });
});
