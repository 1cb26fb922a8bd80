// Projections on the SQLite store, one JSON line (see runProjectionBench): rebuild and catch-up of a
// simple projection (one upsert per event) over 100,000 events, each beside the store's raw readAll
// rate over the same log in the same run; propagation delay append → async read model committed at a
// steady 500 appends/s, in the same log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '../src/stores/sqlite/index.js';
import { runProjectionBench } from './projection-support.js';

const synchronous = (process.env.FACTUM_BENCH_SYNC ?? 'FULL') as 'FULL' | 'NORMAL';
const dir = mkdtempSync(join(tmpdir(), 'factum-bench-projections-'));

try {
  await runProjectionBench({
    bench: 'projections-sqlite',
    open: () => createSqliteStore(join(dir, 'log.db'), { synchronous }),
    throughputTarget: '>= 50,000 events/s',
    catchUpTimeoutMs: 120_000,
    extra: { synchronous },
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
