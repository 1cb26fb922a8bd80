import type { StoredEvent } from '../core/envelope.js';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import type { Broker, ConsumeOptions, Consumer, DeliveryContext } from './broker.js';
import {
  checkAge,
  checkEvery,
  DEFAULT_PRUNE_BATCH_SIZE,
  DEFAULT_RETENTION_EVERY_MS,
  resolvePrune,
  runInBackground,
} from './retention.js';
import type { Inbox } from './storage.js';

export interface InboxConsumeOptions<Tx> extends ConsumeOptions {
  /** Records (consumer, event id) in the same transaction as the handler's effects. */
  inbox: Inbox<Tx>;
  /** The name the inbox records (default: the group). */
  consumer?: string;
  /** Called for each duplicate delivery that was acknowledged and skipped. */
  onDuplicate?: (event: StoredEvent) => void;
  /**
   * Background retention of this consumer's inbox records (off by default): deletes the records
   * processed more than `keepMs` ago, at start and then every `everyMs`. A redelivery older than
   * `keepMs` is processed again, so `keepMs` must exceed the longest time the broker may redeliver
   * or replay a message (see docs/messaging.md, Retention; 30 days is a conservative choice).
   */
  retention?: InboxRetentionOptions;
}

export interface InboxRetentionOptions {
  /** The dedup window: keep records this long (ms). Required: only the operator knows the broker's horizon. */
  keepMs: number;
  /** Run this often (ms, default 1 hour). */
  everyMs?: number;
  /** Records looked at per transaction (default 1,000). */
  batchSize?: number;
  /** After each run, with the records it deleted. */
  onPruned?: (deleted: number) => void;
  /** A failed run (it never stops the consumer; the next run comes `everyMs` later). */
  onError?: (error: Error) => void;
}

export type InboxHandler<Tx> = (event: StoredEvent, tx: Tx, context: DeliveryContext) => Promise<void> | void;

/**
 * Consumes a group with an idempotent handler: each event's effects and its inbox record commit in one
 * transaction, so a redelivered event (at-least-once) is acknowledged and skipped instead of applied
 * twice. A handler failure rolls both back; the broker's retries and dead-lettering apply as usual.
 */
export async function consume<Tx>(
  broker: Broker,
  handler: InboxHandler<Tx>,
  options: InboxConsumeOptions<Tx>,
): Promise<Consumer> {
  const { inbox, consumer, onDuplicate, retention, ...consumeOptions } = options;
  const name = consumer ?? options.group;
  const settings = retention === undefined ? undefined : inboxRetention(inbox, retention);
  const started = await broker.consume(consumeOptions, async (event, context) => {
    const result = await inbox.process(name, event, (tx) => handler(event, tx, context));
    if (result === 'duplicate') onDuplicate?.(event);
  });
  if (settings === undefined) return started;
  const abort = new AbortController();
  const pruning = runInBackground(
    {
      prune: (signal) =>
        inbox.prune!({ olderThan: settings.keepMs, batchSize: settings.batchSize, consumer: name, signal }),
      everyMs: settings.everyMs,
      ...(retention?.onPruned === undefined ? {} : { onPruned: retention.onPruned }),
      ...(retention?.onError === undefined ? {} : { onError: retention.onError }),
    },
    abort.signal,
  );
  return {
    group: started.group,
    async stop() {
      abort.abort();
      await Promise.all([started.stop(), pruning]);
    },
  };
}

function inboxRetention(
  inbox: Inbox<unknown>,
  retention: InboxRetentionOptions,
): { keepMs: number; everyMs: number; batchSize: number } {
  if (typeof retention !== 'object' || retention === null) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'retention',
      `retention must be an object with keepMs, got ${String(retention)}`,
    );
  }
  if (inbox.prune === undefined) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'retention',
      'retention needs an inbox that can prune (sqliteInbox, postgresInbox, memoryInbox)',
    );
  }
  const keepMs = checkAge('retention.keepMs', retention.keepMs);
  const everyMs = checkEvery('retention.everyMs', retention.everyMs ?? DEFAULT_RETENTION_EVERY_MS);
  const { batchSize } = resolvePrune({
    olderThan: keepMs,
    batchSize: retention.batchSize ?? DEFAULT_PRUNE_BATCH_SIZE,
  });
  return { keepMs, everyMs, batchSize };
}
