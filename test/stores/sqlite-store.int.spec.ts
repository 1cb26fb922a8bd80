import { join } from 'node:path';
import { createSqliteStore } from 'factum/sqlite';
import { describeEventStoreContract } from 'factum/testing';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-sqlite-');
let n = 0;

describeEventStoreContract('sqlite file', () => createSqliteStore(join(dir, `store-${++n}.db`)));
describeEventStoreContract('sqlite :memory:', () => createSqliteStore(':memory:'));
