export type { RawRecord as KafkaRawRecord } from './dead-letters.js';
export { DeadLetterHeaders as KafkaDeadLetterHeaders } from './dead-letters.js';
export type { KafkaGroupTiming } from './host.js';
export type { KafkaBrokerOptions, KafkaTopicOptions } from './kafka-broker.js';
export { createKafkaBroker, KafkaBroker } from './kafka-broker.js';
export type { DeliveryMarker } from './offsets.js';
export { decodeMarker, encodeMarker, previousDeliveries } from './offsets.js';
export type { ResetOffsetsOptions, ResetResult } from './replay.js';
export {
  CE_PREFIX as KAFKA_CLOUDEVENTS_PREFIX,
  fromKafkaRecord,
  headerRecord,
  toKafkaRecord,
} from './wire.js';
