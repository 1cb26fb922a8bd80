/** The shared delivery loop lives in messaging (the SQLite transport uses it too); adapters import it here. */
export type {
  DeadLetterOutcome,
  DeliveryInput,
  Outcome,
  ResolvedConsumeOptions,
} from '../../messaging/delivery.js';
export { resolveConsumeOptions, runDelivery } from '../../messaging/delivery.js';
export { messagingSystem } from '../../messaging/tracing.js';
