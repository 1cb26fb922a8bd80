export type { LeaseOptions, LeaseStrategy } from '../follow/index.js';
export type { ProjectionsTarget } from './admin.js';
export {
  listDeadLetters,
  pauseProjection,
  projectionStatus,
  projectionStorageFor,
  readDocuments,
  resumeProjection,
  retryDeadLetter,
  skipDeadLetter,
} from './admin.js';
export { batchInTransaction } from './batch.js';
export type { DeadLetterAction, DeadLetterActionResult } from './dead-letter-actions.js';
export { defineProjection } from './define.js';
export type { ProjectionAlert, ProjectionEvents, RebuildProgress } from './events.js';
export { memoryProjectionStorage } from './memory/storage.js';
export type { PostgresProjectionStorageOptions } from './postgres/storage.js';
export { postgresProjectionStorage } from './postgres/storage.js';
export type {
  InstanceProjectionStatus,
  Projections,
  ProjectionsOptions,
  WaitForOptions,
} from './projections.js';
export { createProjections } from './projections.js';
export type { RebuildOptions, RebuildResult } from './rebuild.js';
export type { RunnerState } from './runner.js';
export { sqliteProjectionStorage } from './sqlite/storage.js';
export type { ProjectionStatus } from './status.js';
export type {
  BatchResult,
  BatchSteps,
  BatchTx,
  DeadLetter,
  DeadLetterError,
  DeadLetterQuery,
  GenerationLayout,
  LeaseRecord,
  NewDeadLetter,
  ProjectionPause,
  ProjectionRecord,
  ProjectionStorage,
  StorageTx,
} from './storage.js';
export { brandStorage, isProjectionStorage } from './storage.js';
export type {
  CollectionOptions,
  DocumentCollection,
  DocumentReader,
  FieldCondition,
  Filter,
  FindOptions,
  HandlerRetryOptions,
  OrderingKey,
  Projection,
  ProjectionDefinition,
  ProjectionTx,
  Scalar,
} from './types.js';
