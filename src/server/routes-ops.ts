/** Projections and their rebuilds, dead letters, messaging, sagas, the audit trail and the overview. */
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import {
  ErrorCodes,
  isFactumError,
  NotFoundError,
  NotSupportedError,
  ValidationError,
} from '../core/errors.js';
import { followStorageOf, loadCheckpoint } from '../follow/index.js';
import { relayCheckpoint } from '../messaging/index.js';
import {
  type DeadLetter,
  type DeadLetterQuery,
  pauseProjection,
  projectionStatus,
  resumeProjection,
  retryDeadLetter,
  skipDeadLetter,
} from '../projections/index.js';
import {
  awaitOutcome,
  listSagas,
  type OperatorAction,
  readSagaInstance,
  requestSagaAction,
  SAGA_STATUSES,
} from '../sagas/index.js';
import { AUDIT_CATEGORY, recordAction } from './audit.js';
import { type Ctx, dataJson, type Env, need, type ServerDeps } from './context.js';
import { plain } from './json.js';
import type { Operation } from './operations.js';
import { intParam, jsonBody, oneOf, reasonOf } from './params.js';
import { projectionStorageOf } from './routes-log.js';

const SAGA_ACTIONS: readonly OperatorAction[] = ['retry', 'skip', 'compensate', 'abort'];
const MAX_WAIT_MS = 30_000;

export function opsRoutes(api: Hono<Env>, deps: ServerDeps): void {
  const { store } = deps;
  const projectionsTarget = () => {
    const storage = projectionStorageOf(deps);
    if (storage === undefined) {
      throw new NotSupportedError(
        'projections without a projection storage (pass projections to serve())',
        'memory',
      );
    }
    return storage;
  };

  // ---- overview -------------------------------------------------------------------------------
  api.get('/overview', async (c) => {
    need(c, 'viewer');
    const storage = projectionStorageOf(deps);
    const projections = storage === undefined ? [] : await projectionStatus(storage);
    const head = storage === undefined ? null : (await storage.head()).toString();
    const sagas = storage === undefined ? [] : await sagasOrNone(listSagas(storage, { limit: 10_000 }));
    const sagaStates: Record<string, number> = {};
    for (const s of sagas) sagaStates[s.status] = (sagaStates[s.status] ?? 0) + 1;
    return c.json({
      head,
      now: new Date().toISOString(),
      projections: plain(projections),
      deadLetters: projections.reduce((n, p) => n + p.deadLetters, 0),
      parked: projections.reduce((n, p) => n + p.parked, 0),
      sagas: sagaStates,
      liveClients: deps.live.clients,
    });
  });

  api.get('/checks', async (c) => {
    need(c, 'viewer');
    const checks = deps.checks === undefined ? [] : await deps.checks();
    return c.json({ checks, at: new Date().toISOString() });
  });

  // ---- projections ----------------------------------------------------------------------------
  api.get('/projections', async (c) => {
    need(c, 'viewer');
    return c.json({ projections: plain(await projectionStatus(projectionsTarget())) });
  });

  for (const action of ['pause', 'resume'] as const) {
    api.post(`/projections/:name/${action}`, async (c) => {
      const by = need(c, 'operator');
      const name = c.req.param('name');
      const reason = reasonOf(await jsonBody(c.req.raw));
      const storage = projectionsTarget();
      await projectionStatus(storage, { name });
      const audit = await recordAction(store, by, {
        action: `projection.${action}`,
        target: `projection:${name}`,
        reason,
      });
      if (action === 'pause') await pauseProjection(storage, name, { actor: by.name, reason });
      else await resumeProjection(storage, name);
      const [status] = await projectionStatus(storage, { name });
      return c.json({ projection: plain(status), audit });
    });
  }

  api.post('/projections/:name/rebuild', async (c) => {
    const by = need(c, 'operator');
    const name = c.req.param('name');
    const reason = reasonOf(await jsonBody(c.req.raw));
    const projections = deps.projections;
    if (projections === undefined) {
      throw new NotSupportedError(
        'rebuilds without the projections runtime (pass projections to serve())',
        'server',
      );
    }
    await projectionStatus(projections.storage, { name });
    const audit = await recordAction(store, by, {
      action: 'projection.rebuild',
      target: `projection:${name}`,
      reason,
    });
    const op = deps.operations.start('rebuild', name, async (progress) => {
      const result = await projections.rebuild(name, { onProgress: (p) => progress({ ...p }) });
      return plain(result) as Record<string, unknown>;
    });
    return c.json({ operation: plain(op), audit }, 202);
  });

  api.get('/operations', (c) => {
    need(c, 'viewer');
    return c.json({ operations: plain(deps.operations.list()) });
  });

  api.get('/operations/:id', (c) => {
    need(c, 'viewer');
    const op = deps.operations.get(c.req.param('id'));
    if (op === undefined) throw new NotFoundError(`operation ${c.req.param('id')}`);
    return c.json({ operation: plain(op) });
  });

  api.get('/operations/:id/events', (c) => {
    need(c, 'viewer');
    const op = deps.operations.get(c.req.param('id'));
    if (op === undefined) throw new NotFoundError(`operation ${c.req.param('id')}`);
    return streamSSE(c, async (stream) => {
      const changes: Operation[] = [];
      let wake: (() => void) | undefined;
      let closed = false;
      const stop = deps.operations.watch(op.id, (o) => {
        changes.push({ ...o });
        wake?.();
      });
      stream.onAbort(() => {
        closed = true;
        wake?.();
      });
      try {
        // The state now, then every change until it ends.
        let current: Operation = { ...op };
        await stream.writeSSE({ event: current.state, data: JSON.stringify(plain(current)) });
        while (current.state === 'running' && !closed) {
          const next = changes.shift();
          if (next === undefined) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
            continue;
          }
          current = next;
          await stream.writeSSE({ event: current.state, data: JSON.stringify(plain(current)) });
        }
      } finally {
        stop();
      }
    });
  });

  // ---- dead letters ---------------------------------------------------------------------------
  api.get('/dead-letters', async (c) => {
    need(c, 'reader');
    const query = deadLetterQuery(c);
    const letters = await projectionsTarget().read((tx) => tx.listDeadLetters(query));
    const limit = query.limit ?? 100;
    const groups = new Map<string, { projection: string; error: string; count: number }>();
    for (const d of letters) {
      const error = d.error?.message ?? '(parked)';
      const key = `${d.projection}\u0000${error}`;
      const g = groups.get(key) ?? { projection: d.projection, error, count: 0 };
      g.count++;
      groups.set(key, g);
    }
    return dataJson(c, {
      deadLetters: plain(letters),
      groups: [...groups.values()].sort((a, b) => b.count - a.count),
      next: letters.length === limit ? (letters.at(-1)?.id ?? null) : null,
    });
  });

  for (const action of ['retry', 'skip'] as const) {
    api.post(`/dead-letters/:id/${action}`, async (c) => {
      const by = need(c, 'operator');
      const id = intParam(c.req.param('id'), 'id') as number;
      const reason = reasonOf(await jsonBody(c.req.raw));
      const audit = await recordAction(store, by, {
        action: `dead-letter.${action}`,
        target: `dead-letter:${id}`,
        reason,
      });
      const result = await deadLetterAction(deps, id, action);
      return dataJson(c, { result: plain(result), audit });
    });
  }

  api.post('/dead-letters/retry', async (c) => {
    const by = need(c, 'operator');
    const body = await jsonBody(c.req.raw);
    const reason = reasonOf(body);
    const filter = (body.filter ?? {}) as Record<string, unknown>;
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
      throw new ValidationError(ErrorCodes.INVALID_ARGUMENT, 'filter', 'filter must be an object');
    }
    const errorContains = typeof filter.error === 'string' ? filter.error : undefined;
    const query: DeadLetterQuery = {
      projection: typeof filter.projection === 'string' ? filter.projection : undefined,
      status: 'dead',
      limit: 1_000,
    };
    const matched: DeadLetter[] = [];
    for (let afterId: number | undefined; ; ) {
      const page = await projectionsTarget().read((tx) => tx.listDeadLetters({ ...query, afterId }));
      for (const d of page)
        if (errorContains === undefined || (d.error?.message ?? '').includes(errorContains)) matched.push(d);
      if (page.length < 1_000) break;
      afterId = page.at(-1)?.id;
    }
    const dryRun = body.dryRun === true;
    if (dryRun) return dataJson(c, { dryRun, matched: matched.length, ids: matched.map((d) => d.id) });
    const audit = await recordAction(store, by, {
      action: 'dead-letter.retry-bulk',
      target: `dead-letters:${query.projection ?? '*'}`,
      reason,
      details: { filter, matched: matched.length },
    });
    const results = [];
    for (const d of matched) results.push(plain(await deadLetterAction(deps, d.id, 'retry')));
    return dataJson(c, { dryRun, matched: matched.length, results, audit });
  });

  // ---- messaging ------------------------------------------------------------------------------
  api.get('/messaging', async (c) => {
    need(c, 'viewer');
    const follow = followStorageOf(store);
    const storage = projectionStorageOf(deps);
    const relays = await Promise.all(
      deps.relays.map(async (r) => {
        const name = typeof r === 'string' ? r : r.name;
        const checkpoint = await loadCheckpoint(follow, relayCheckpoint(name));
        const behind = storage === undefined ? null : await storage.countEventsAfter(checkpoint);
        return {
          name,
          checkpoint: checkpoint.toString(),
          behind,
          status: typeof r === 'string' ? null : plain(r.status()),
        };
      }),
    );
    const consumers = [];
    if (deps.broker !== undefined) {
      for (const group of deps.groups) {
        try {
          consumers.push({ ...(plain(await deps.broker.lag(group)) as object), error: null });
        } catch (error) {
          consumers.push({
            group,
            lag: null,
            partitions: [],
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
    const outbox = deps.outbox === undefined ? null : { pending: await deps.outbox.pending() };
    return c.json({ relays, consumers, outbox });
  });

  // Dead letters of the broker's groups, read without taking them (where the broker can peek).
  api.get('/broker-dead-letters', async (c) => {
    need(c, 'reader');
    const limit = Math.min(intParam(c.req.query('limit'), 'limit') ?? 100, 1_000);
    const only = c.req.query('group');
    const groups = [];
    if (deps.broker !== undefined) {
      for (const group of deps.groups) {
        if (only !== undefined && only !== '' && group !== only) continue;
        try {
          groups.push({
            group,
            deadLetters: plain(await deps.broker.deadLetters(group, { limit })),
            error: null,
          });
        } catch (error) {
          groups.push({
            group,
            deadLetters: [],
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
    return dataJson(c, { broker: deps.broker !== undefined, groups });
  });

  // ---- sagas ----------------------------------------------------------------------------------
  api.get('/sagas', async (c) => {
    need(c, 'viewer');
    const q = c.req.query();
    const sagas = await sagasOrNone(
      listSagas(projectionsTarget(), {
        name: q.name || undefined,
        state: oneOf(q.state, SAGA_STATUSES, 'state'),
        correlationId: q.correlation || undefined,
        limit: Math.min(intParam(q.limit, 'limit') ?? 100, 1_000),
      }),
    );
    return c.json({ sagas: plain(sagas) });
  });

  api.get('/sagas/:name/:correlationId', async (c) => {
    need(c, 'reader');
    const { name, correlationId } = c.req.param();
    const instance = await readSagaInstance(store, name, correlationId);
    if (instance === undefined) throw new NotFoundError(`saga ${name} instance ${correlationId}`);
    return dataJson(c, { instance: plain(instance) });
  });

  api.post('/sagas/:name/:correlationId/:action', async (c) => {
    const by = need(c, 'operator');
    const { name, correlationId } = c.req.param();
    const action = oneOf(c.req.param('action'), SAGA_ACTIONS, 'action') as OperatorAction;
    const body = await jsonBody(c.req.raw);
    const reason = reasonOf(body);
    const waitMs = Math.min(
      typeof body.waitMs === 'number' && body.waitMs >= 0 ? body.waitMs : 5_000,
      MAX_WAIT_MS,
    );
    const sagaStore = deps.sagaStore;
    if ((await readSagaInstance(sagaStore, name, correlationId)) === undefined) {
      throw new NotFoundError(`saga ${name} instance ${correlationId}`);
    }
    const audit = await recordAction(store, by, {
      action: `saga.${action}`,
      target: `saga:${name}/${correlationId}`,
      reason,
    });
    const request = await requestSagaAction(sagaStore, name, correlationId, action, {
      actor: by.name,
      reason,
    });
    const outcome = await awaitOutcome(sagaStore, name, correlationId, request.id, {
      waitMs,
      signal: c.req.raw.signal,
    });
    return c.json({ outcome, audit }, outcome.applied === undefined ? 202 : 200);
  });

  // ---- audit ----------------------------------------------------------------------------------
  api.get('/audit', async (c) => {
    need(c, 'admin');
    const page = await store.readAll({ categories: [AUDIT_CATEGORY], limit: 1_000 });
    return dataJson(c, { entries: plain(page.events.reverse()) });
  });
}

function deadLetterQuery(c: Ctx): DeadLetterQuery {
  const q = c.req.query();
  return {
    projection: q.projection || undefined,
    status: oneOf(q.status, ['dead', 'parked'] as const, 'status'),
    afterId: intParam(q.after, 'after', 0),
    limit: Math.min(intParam(q.limit, 'limit') ?? 100, 1_000),
  };
}

/** Through the runtime when this process runs the projections (carried out now), else a request for the runner. */
async function deadLetterAction(deps: ServerDeps, id: number, action: 'retry' | 'skip') {
  if (deps.projections !== undefined) {
    return action === 'retry' ? deps.projections.retryDeadLetter(id) : deps.projections.skipDeadLetter(id);
  }
  const storage = projectionStorageOf(deps);
  if (storage === undefined) throw new NotSupportedError('dead letters', 'memory');
  return action === 'retry' ? retryDeadLetter(storage, id) : skipDeadLetter(storage, id);
}

/** The saga index of an application that runs no sagas does not exist: no instances. */
async function sagasOrNone<T>(list: Promise<T[]>): Promise<T[]> {
  try {
    return await list;
  } catch (error) {
    if (isFactumError(error, ErrorCodes.PROJECTION_NOT_FOUND)) return [];
    throw error;
  }
}
