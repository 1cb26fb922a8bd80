import { createMemoryStore } from 'factum';
import { memoryProjectionStorage } from 'factum/projections';
import { describeProjectionBehaviour } from './support/behaviour.js';

describeProjectionBehaviour('the memory store', (options = {}) => {
  const offset = options.clockOffsetMs ?? 0;
  const store = createMemoryStore({ now: () => new Date(Date.now() - offset) });
  return { store, storage: memoryProjectionStorage(store) };
});
