import type * as Kafka from '@platformatic/kafka';
import type { Emitter } from '../../core/emitter.js';
import type { BrokerEvents } from '../../messaging/broker.js';
import type { DeadLetterOutcome } from '../shared/delivery.js';

/** Group membership timing (ms). Short values make rebalances and crash recovery fast; see docs/kafka.md. */
export interface KafkaGroupTiming {
  /** A member that sends no heartbeat for this long is removed and its partitions reassigned (default 30,000; the broker's minimum is 6,000 unless configured). */
  sessionTimeoutMs: number;
  /** Heartbeat period; also how soon a member notices a rebalance (default 3,000). */
  heartbeatIntervalMs: number;
  /** How long a rebalance waits for members to rejoin (default 60,000). */
  rebalanceTimeoutMs: number;
  /**
   * How long a new owner of a partition waits for the previous owner to finish the record it holds
   * (default 30,000). After that the record is delivered again (at-least-once).
   */
  handoffTimeoutMs: number;
  /** Longest a fetch waits for new records (default 500). */
  maxWaitMs: number;
  /**
   * How long the offset commit after an idle partition's last record may wait for the next record, so
   * both go in one commit (default 20; 0 commits at once).
   */
  commitDelayMs: number;
}

/** What a consumer needs from its broker adapter. */
export interface KafkaConsumerHost {
  readonly lib: typeof Kafka;
  readonly admin: Kafka.Admin;
  readonly topic: string;
  readonly emitter: Emitter<BrokerEvents>;
  readonly timing: KafkaGroupTiming;
  clientOptions(): {
    clientId: string;
    bootstrapBrokers: string[];
    timeout: number;
    retries: number;
    retryDelay: number;
  };
  /** The Kafka group id of a contract group name. */
  groupId(group: string): string;
  /** Stores a record in the group's dead-letter topic with the outcome in its headers; resolves once acknowledged. */
  deadLetter(
    group: string,
    record: Pick<Kafka.Message, 'key' | 'value' | 'headers' | 'partition' | 'offset'>,
    outcome: DeadLetterOutcome,
  ): Promise<void>;
  forget(consumer: object): void;
}
