import { createMemoryStore } from 'factum';
import { memoryProjectionStorage } from 'factum/projections';
import { describeProjectionStorageContract } from 'factum/testing';

describeProjectionStorageContract('memory', () => {
  const store = createMemoryStore();
  return { store, storage: memoryProjectionStorage(store) };
});
