export type { StoreContractOptions, StoreFactory } from './store-contract.js';
export { describeEventStoreContract } from './store-contract.js';
