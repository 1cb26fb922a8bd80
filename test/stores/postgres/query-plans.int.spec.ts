// White-box: the store's own SQL, explained by PostgreSQL, must read through the intended indexes
// (never a scan of the whole event table), whatever the table's size.
import { createPostgresStore } from 'factum/postgres';
import { describe, expect, it } from 'vitest';
import { prepareAppend } from '../../../src/core/validation.js';
import { schemaNames } from '../../../src/stores/postgres/schema.js';
import { appendBatchSql, appendBatchValues, appendSql } from '../../../src/stores/postgres/sql/append.js';
import { readAllSql } from '../../../src/stores/postgres/sql/read-all.js';
import { readStreamSql } from '../../../src/stores/postgres/sql/read-stream.js';
import { probePostgres, schemaNamer, testPool } from '../../support/postgres.js';

const postgres = await probePostgres();

describe.skipIf(!postgres.available)('PostgreSQL query plans', () => {
  const { pool, dropLater } = testPool({ max: 4 });
  const nextSchema = schemaNamer('factum_plans');

  it('readAll, readStream and the append head lookup use the position and stream indexes', async () => {
    const schema = nextSchema();
    dropLater(schema);
    const store = await createPostgresStore({ pool, schema, migrate: true });
    for (let k = 0; k < 20; k++) {
      await store.append(
        `order-${k}`,
        Array.from({ length: 100 }, (_, n) => ({ type: 'Step', data: { n } })),
      );
    }
    const names = schemaNames(schema);
    const plan = async (sql: string, values: unknown[]) => {
      const client = await pool.connect();
      try {
        // A generic plan is what a prepared statement ends up using; check that one too.
        await client.query('SET plan_cache_mode = force_generic_plan');
        const generic = await client.query(`EXPLAIN ${sql}`, values);
        await client.query('RESET plan_cache_mode');
        const custom = await client.query(`EXPLAIN ${sql}`, values);
        return [generic, custom].map((r) => r.rows.map((row) => row['QUERY PLAN'] as string).join('\n'));
      } finally {
        client.release();
      }
    };
    // A consumer near the head: the case that must never scan the table (position from the log itself).
    const nearHead = (await store.readAll({ after: 0n, limit: 1900 })).last;
    // Before any statistics exist (a table just filled; autovacuum may be off): no scan either.
    for (const text of await plan(readAllSql(names), [nearHead.toString(), 1000, null, null])) {
      expect(text).not.toMatch(/Seq Scan on factum_events/);
    }
    await pool.query(`ANALYZE "${schema}".factum_events`);
    for (const text of await plan(readAllSql(names), [nearHead.toString(), 1000, null, null])) {
      expect(text).toContain('factum_events_pkey');
      expect(text).not.toMatch(/Seq Scan on factum_events/);
    }
    for (const direction of ['forward', 'backward'] as const) {
      for (const text of await plan(readStreamSql(names, direction), ['order-3', null, null, null, null])) {
        expect(text).toContain('factum_events_stream_version_key');
        expect(text).not.toMatch(/Seq Scan on factum_events/);
      }
    }
    const { one, checkedOne } = appendSql(names);
    for (const text of await plan(one, ['order-3', 'order', -1, crypto.randomUUID(), 'T', 1, '{}', '{}'])) {
      expect(text).toContain('factum_events_stream_version_key');
      expect(text).not.toMatch(/Seq Scan on factum_events/);
    }
    // The appends' lookups of caller-given ids already stored go through the event id index.
    const id = crypto.randomUUID();
    for (const text of await plan(checkedOne, ['order-3', 'order', -1, id, 'T', 1, '{}', '{}', `{${id}}`])) {
      expect(text).toContain('factum_events_event_id_key');
      expect(text).not.toMatch(/Seq Scan on factum_events/);
    }
    const batch = appendBatchValues([
      prepareAppend('order-3', [{ type: 'T', data: {}, id: crypto.randomUUID() }], { expectedVersion: 100 }),
      prepareAppend('order-4', [{ type: 'T', data: {} }], {}),
    ]);
    for (const returning of ['heads', 'events'] as const) {
      for (const text of await plan(appendBatchSql(names, returning), batch)) {
        expect(text).toContain('factum_events_stream_version_key');
        expect(text).toContain('factum_events_event_id_key');
        expect(text).not.toMatch(/Seq Scan on factum_events/);
      }
      // A group without caller-given ids: no id lookup at all.
      const plain = appendBatchValues([prepareAppend('order-4', [{ type: 'T', data: {} }], {})]);
      for (const text of await plan(appendBatchSql(names, returning, false), plain)) {
        expect(text).toContain('factum_events_stream_version_key');
        expect(text).not.toContain('factum_events_event_id_key');
        expect(text).not.toMatch(/Seq Scan on factum_events/);
      }
    }
    await store.close();
  });
});
