export type { BrokerContractSetup } from './broker-contract.js';
export { describeBrokerContract, interleaved, waitFor } from './broker-contract.js';
export type { StoreContractOptions, StoreFactory } from './store-contract.js';
export { describeEventStoreContract } from './store-contract.js';
