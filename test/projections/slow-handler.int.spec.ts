import { join } from 'node:path';
import { createProjections, defineProjection, type ProjectionAlert } from 'factum/projections';
import { createSqliteStore } from 'factum/sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../support/helpers.js';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-slow-handler-');
let n = 0;

const HANDLER_MS = 2_500;
/** Well under the handler's time: what "answers at once" means on a busy shared machine. */
const BOUND_MS = 300;

describe('a slow async handler on SQLite', () => {
  const closing: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closing.splice(0)) await close();
  });

  it("holds up neither status() (which reports the breach) nor the same process's appends", async () => {
    const store = createSqliteStore(join(dir, `slow-${++n}.db`));
    let started: () => void = () => {};
    const handling = new Promise<void>((resolve) => {
      started = resolve;
    });
    let handled = false;
    const slow = defineProjection({
      name: 'slow',
      handles: ['Slow'],
      documents: { slow_docs: {} },
      sla: { maxLagMs: 500 },
      async handle(event, tx) {
        started();
        await sleep(HANDLER_MS);
        await tx.documents('slow_docs').upsert(event.streamId, { done: true });
        handled = true;
      },
    });
    const alerts: ProjectionAlert[] = [];
    const projections = await createProjections(store, {
      async: [slow],
      monitorEveryMs: 50,
      onAlert: (a) => alerts.push(a),
    });
    closing.push(async () => {
      await projections.stop();
      await store.close();
    });
    projections.start();
    const { position } = await store.append('slow-1', [{ type: 'Slow', data: {} }]);
    await handling;
    const since = performance.now();

    // At 150 ms: a status call and an unrelated append, each timed on its own.
    await sleep(150);
    const early = performance.now();
    const timed = async <T>(work: () => Promise<T>) => {
      const value = await work();
      return { value, ms: performance.now() - early, handlerRunning: !handled };
    };
    const [status, append] = await Promise.all([
      timed(() => projections.status('slow')),
      timed(() => store.append('other-1', [{ type: 'Unrelated', data: {} }])),
    ]);
    const [first] = status.value;
    const firstMs = status.ms;
    const appendMs = append.ms;
    const appendedWhileHandling = append.handlerRunning;

    // Past the SLA (500 ms), with the handler still running.
    await sleep(Math.max(0, 800 - (performance.now() - since)));
    const late = performance.now();
    const [second] = await projections.status('slow');
    const secondMs = performance.now() - late;
    const secondWhileHandling = !handled;

    console.log(
      `status at ${Math.round(early - since)} ms answered in ${Math.round(firstMs)} ms (lag ${first?.lagMs}, behind ${first?.behind}, breached ${first?.breached}); ` +
        `append waited ${Math.round(appendMs)} ms (handler still running: ${appendedWhileHandling}); ` +
        `status at ${Math.round(late - since)} ms answered in ${Math.round(secondMs)} ms (lag ${second?.lagMs}, breached ${second?.breached}, handler still running: ${secondWhileHandling})`,
    );

    expect(firstMs).toBeLessThan(BOUND_MS);
    expect(first!.behind).toBeGreaterThanOrEqual(1);
    expect(first!.lagMs).toBeGreaterThan(0);
    expect(appendMs).toBeLessThan(BOUND_MS);
    expect(appendedWhileHandling).toBe(true);
    expect(secondMs).toBeLessThan(BOUND_MS);
    expect(secondWhileHandling).toBe(true);
    expect(second).toMatchObject({ breached: true, sla: { maxLagMs: 500 } });
    expect(second!.lagMs).toBeGreaterThan(500);
    expect(alerts.some((a) => a.kind === 'sla-breached')).toBe(true);

    // The batch then commits as before.
    await projections.waitFor('slow', position, { timeoutMs: 10_000 });
    expect(await projections.documents('slow_docs').get('slow-1')).toEqual({ done: true });
  });
});
