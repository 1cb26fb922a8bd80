export { DEAD_LETTER_ATTRIBUTE, DeadLetterHeaders as SqsDeadLetterHeaders } from './dead-letters.js';
export { messageGroupId, topicName as snsTopicName } from './names.js';
export type { SqsBrokerOptions, SqsConsumeOptions } from './sqs-broker.js';
export { createSqsBroker, SqsBroker } from './sqs-broker.js';
export type { SqsGroupOptions } from './topology.js';
export {
  CE_PREFIX as SQS_CLOUDEVENTS_PREFIX,
  cloudEventAttributes,
  DEFAULT_MAX_MESSAGE_BYTES as SQS_MAX_MESSAGE_BYTES,
  EXTENSIONS_ATTRIBUTE as SQS_EXTENSIONS_ATTRIBUTE,
  fromSqsMessage,
  toSqsMessage,
} from './wire.js';
