import { join } from 'node:path';
import { sqliteProjectionStorage } from 'factum/projections';
import { createSqliteStore } from 'factum/sqlite';
import { describeProjectionStorageContract } from 'factum/testing';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-projection-storage-');
let n = 0;

describeProjectionStorageContract('sqlite file', () => {
  const store = createSqliteStore(join(dir, `storage-${++n}.db`));
  return { store, storage: sqliteProjectionStorage(store) };
});
describeProjectionStorageContract('sqlite :memory:', () => {
  const store = createSqliteStore(':memory:');
  return { store, storage: sqliteProjectionStorage(store) };
});
