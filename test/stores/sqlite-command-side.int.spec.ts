import { join } from 'node:path';
import { createSqliteStore } from 'factum/sqlite';
import { describeCommandSideContract } from 'factum/testing';
import { tempDir } from '../support/temp.js';

const dir = tempDir('factum-sqlite-cs-');
let n = 0;

describeCommandSideContract('sqlite file', () => createSqliteStore(join(dir, `store-${++n}.db`)));
