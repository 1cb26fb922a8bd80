// The samples of docs/postgres.md, verbatim (a test checks that the page and this file agree, and
// runs this file against a real PostgreSQL).
// #region setup
import { createPostgresStore, migrate } from 'factum/postgres';
import pg from 'pg';

const pool = new pg.Pool({
  connectionString: process.env.FACTUM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
});
// pg reports idle connections that die (a server restart) here; the pool replaces them.
pool.on('error', (error) => console.warn('idle PostgreSQL connection lost:', error.message));
const schema = process.env.FACTUM_PG_SCHEMA ?? 'shop';

// At deploy time: create or upgrade the schema, for the store and every area this process imported
// (`npx factum migrate postgres://… --schema shop` does the same for every area of Factum).
await migrate({ pool, schema });

// At start-up: a store over the application's pool. close() leaves the pool to its owner.
const store = await createPostgresStore({ pool, schema });
// #endregion setup

let delivered = 0;
// #region subscribe
const subscription = store.subscribe({ categories: ['order'] }, async (event) => {
  console.log(event.position, event.streamId, event.type);
  delivered++;
});
await store.append('order-42', [{ type: 'OrderPlaced', data: { total: 4999 } }], {
  expectedVersion: 'no_stream',
});
// #endregion subscribe

while (delivered === 0) await new Promise((resolve) => setTimeout(resolve, 5));

// #region gap-safety
// Per subscription: how long committed events have waited behind an unfinished transaction.
const { state, position, heldBackMs = 0 } = subscription.status();
// Per store, as a gauge for metrics: updated by every read of the global log.
const gauge = store.heldBack(); // { heldBackMs, heldBackSince, horizon, observedAt }
if (gauge.heldBackMs > 5_000) {
  console.warn(`readers held back for ${gauge.heldBackMs} ms by a transaction that is still open`);
}
// #endregion gap-safety

console.log(state, position > 0n, heldBackMs >= 0);
await subscription.unsubscribe();
await store.close();
await pool.end();
