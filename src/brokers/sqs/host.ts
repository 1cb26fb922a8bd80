import type * as SqsSdk from '@aws-sdk/client-sqs';
import type { Emitter } from '../../core/emitter.js';
import type { BrokerEvents } from '../../messaging/broker.js';

export type SqsLib = typeof SqsSdk;

/** What a consumer needs from its broker: the SQS client and its commands, and instrumentation. */
export interface SqsConsumerHost {
  readonly sqsLib: SqsLib;
  readonly sqs: SqsSdk.SQSClient;
  readonly emitter: Emitter<BrokerEvents>;
  readonly fifo: boolean;
  readonly maxMessageBytes: number;
  forget(consumer: object): void;
}
