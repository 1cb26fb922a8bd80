export type { BrokerContractSetup } from './broker-contract.js';
export { describeBrokerContract, interleaved, waitFor } from './broker-contract.js';
export type { CommandSideStoreFactory } from './command-side/fixtures.js';
export { describeCommandSideContract } from './command-side/index.js';
export type {
  DeciderGiven,
  DeciderThen,
  DeciderWhen,
  ErrorExpectation,
} from './decider-spec.js';
export { deciderSpec } from './decider-spec.js';
export type { FollowStorageContractOptions } from './follow-storage-contract.js';
export { describeFollowStorageContract } from './follow-storage-contract.js';
export type {
  ProjectionStorageFactory,
  ProjectionStorageFixture,
} from './projection-storage-contract.js';
export { describeProjectionStorageContract } from './projection-storage-contract.js';
export type {
  SagaDivergence,
  SagaSpec,
  SagaSpecOptions,
  SagaThen,
  SagaWhen,
  SentCommand,
} from './saga-spec.js';
export { expectSagaReplays, replaySagaStreams, sagaSpec } from './saga-spec.js';
export type { StoreContractOptions, StoreFactory } from './store/fixtures.js';
export { describeEventStoreContract } from './store/index.js';
