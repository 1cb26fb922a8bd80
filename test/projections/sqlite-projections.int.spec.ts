import { join } from 'node:path';
import { createSqliteStore } from 'factum/sqlite';
import { tempDir } from '../support/temp.js';
import { describeProjectionBehaviour } from './support/behaviour.js';

const dir = tempDir('factum-projections-');
let n = 0;

describeProjectionBehaviour('the SQLite store', (options = {}) => {
  const offset = options.clockOffsetMs ?? 0;
  const store = createSqliteStore(join(dir, `projections-${++n}.db`), {
    now: () => new Date(Date.now() - offset),
  });
  return { store, storage: undefined };
});
