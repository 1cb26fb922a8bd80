/**
 * factum/sagas: choreography (reactors) and orchestration (defineSaga) over the event log, with
 * compensations enforced at definition time, durable timeouts, parked instances and operator actions.
 */
export type {
  CheckPivots,
  Compensation,
  SagaActionFn,
  SagaCommand,
  SagaContext,
  SagaDefinition,
  SagaDefinitionInput,
  SagaFailure,
  SagaStep,
  StepAwaits,
  StepRetry,
} from './definition.js';
export { defineSaga, sagaCategory, sagaStreamId } from './definition.js';
export type { OperatorAction, SagaState, SagaStatus } from './engine.js';
export { decide, evolve, foldSaga, SAGA_EVENT_TYPES, SAGA_STATUSES, SagaEvents } from './engine.js';
export type { SagaSummary } from './index-projection.js';
export type { OperatorOutcome, OperatorRequest } from './operator.js';
export { awaitOutcome, readOutcome, requestSagaAction } from './operator.js';
export type { Reactor, ReactorContext, ReactorDefinitionInput } from './reactor.js';
export { react, reactor, reactorDeadLetterStream } from './reactor.js';
export type {
  HandleOutcome,
  SagaEventsMap,
  SagaInstance,
  SagaQuery,
  Sagas,
  SagasOptions,
} from './runtime.js';
export {
  createSagas,
  listSagas,
  reactorRunnerName,
  readSagaInstance,
  sagaRunnerName,
  TIMEOUT_SCHEDULER,
} from './runtime.js';
