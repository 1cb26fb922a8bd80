import { join } from 'node:path';
import { ErrorCodes, isFactumError } from 'factum';
import { createProjections, defineProjection } from 'factum/projections';
import { createSqliteStore } from 'factum/sqlite';
import { describe, expect, it } from 'vitest';
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

describe('lease strategies on SQLite', () => {
  it("refuses the 'advisory' strategy (SQLite has no session locks) and unknown strategies, with typed errors", async () => {
    const store = createSqliteStore(join(dir, `projections-${++n}.db`));
    const projection = defineProjection({ name: 'p', handles: ['E'], async handle() {} });
    try {
      await expect(
        createProjections(store, { async: [projection], lease: { strategy: 'advisory' } }),
      ).rejects.toSatisfy((e) => isFactumError(e, ErrorCodes.INVALID_ARGUMENT) && /'row'/.test(String(e)));
      await expect(
        createProjections(store, { async: [projection], lease: { strategy: 'zookeeper' as 'row' } }),
      ).rejects.toSatisfy((e) => isFactumError(e, ErrorCodes.INVALID_ARGUMENT));
      const projections = await createProjections(store, { async: [projection], lease: { strategy: 'row' } });
      expect(projections.owner).toBeTypeOf('string');
    } finally {
      await store.close();
    }
  });
});
