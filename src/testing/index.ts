export type {
  ProjectionStorageFactory,
  ProjectionStorageFixture,
} from './projection-storage-contract.js';
export { describeProjectionStorageContract } from './projection-storage-contract.js';
export type { StoreContractOptions, StoreFactory } from './store-contract.js';
export { describeEventStoreContract } from './store-contract.js';
