import { ConcurrencyError, matchesExpectedVersion } from 'factum';
import { createPostgresStore } from 'factum/postgres';
import type { PoolClient } from 'pg';
import { describe, expect, it } from 'vitest';
import type { ExpectedVersion } from '../../../src/core/expected-version.js';
import {
  expectedVersionParameter,
  expectedVersionSql,
} from '../../../src/stores/postgres/sql/append-expected-version.js';
import { probePostgres, schemaNamer, testPool } from '../../support/postgres.js';

const postgres = await probePostgres();

describe.skipIf(!postgres.available)('PostgreSQL append conflicts', () => {
  const { pool, dropLater } = testPool({ max: 6 });
  const nextSchema = schemaNamer('factum_conflicts');

  it("the append statements' expected-version predicate is core's rule, case by case", async () => {
    const expected: (ExpectedVersion | undefined)[] = [
      undefined,
      'any',
      'no_stream',
      'stream_exists',
      0,
      1,
      2,
      7,
    ];
    const cases = expected.flatMap((e) => [0, 1, 2, 7].map((actual) => ({ e, actual })));
    const { rows } = await pool.query<{ ok: boolean }>(
      `SELECT ${expectedVersionSql('t.v', 't.e')} AS ok
       FROM unnest($1::bigint[], $2::int[]) WITH ORDINALITY AS t (e, v, n) ORDER BY t.n`,
      [cases.map((c) => expectedVersionParameter(c.e)), cases.map((c) => c.actual)],
    );
    expect(rows.map((r) => r.ok)).toEqual(cases.map((c) => matchesExpectedVersion(c.e, c.actual)));
  });

  it('an append that loses every race it runs fails with ConcurrencyError: the head then, the last race as cause', async () => {
    const schema = nextSchema();
    dropLater(schema);
    const store = await createPostgresStore({ pool, schema, migrate: true });
    await store.append('order-1', [{ type: 'Placed', data: {} }]);
    const racers: PoolClient[] = [await pool.connect(), await pool.connect()];
    const take = async (racer: PoolClient, version: number) => {
      await racer.query('BEGIN');
      await racer.query(
        `INSERT INTO "${schema}".factum_events
           (position, event_id, stream_id, version, category, type, schema_version, data, metadata, recorded_at)
         VALUES (pg_current_xact_id()::text::bigint * 65536 + 1, gen_random_uuid(), 'order-1', $1, 'order',
                 'Raced', 1, '{}', '{}', now())`,
        [version],
      );
    };
    const pids = await Promise.all(
      racers.map(
        async (r) => (await r.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid,
      ),
    );
    /** Until the store's append waits for the racer's uncommitted row. */
    const appendWaitsFor = async (racer: number) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1::int = ANY (pg_blocking_pids(pid))',
          [pids[racer]],
        );
        if (rows[0]!.n > 0) return;
        if (Date.now() > deadline) throw new Error(`the append never waited for racer ${racer}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    };
    try {
      // Each run of the append sees version k, inserts k+1 and waits for the racer holding k+1; the
      // other racer takes k+2 before that one commits, so the next run loses too.
      await take(racers[0]!, 2);
      const failed = store.append('order-1', [{ type: 'Placed', data: {} }]).then(
        () => undefined,
        (error: unknown) => error,
      );
      for (let round = 0; round < 20; round++) {
        await appendWaitsFor(round % 2);
        await take(racers[(round + 1) % 2]!, round + 3);
        await racers[round % 2]!.query('COMMIT');
      }
      const error = await failed;
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ streamId: 'order-1', expected: 'any', actual: 21 });
      expect((error as Error).cause).toMatchObject({
        code: '23505',
        constraint: 'factum_events_stream_version_key',
      });
    } finally {
      for (const racer of racers) {
        await racer.query('ROLLBACK').catch(() => {});
        racer.release();
      }
    }
    expect((await store.readStream('order-1')).version).toBe(21);
    await store.close();
  });
});
