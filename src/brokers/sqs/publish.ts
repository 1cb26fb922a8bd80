import { PublishNotConfirmedError } from '../../core/errors.js';
import { backoffDelay, sleep } from '../../core/retry.js';
import { translateDriverError } from '../shared/errors.js';
import type { Attributes } from './wire.js';

/** One message of a SendMessageBatch or PublishBatch. */
export interface BatchEntry {
  /** Entries of one lane are sent in order, one batch after the other (the stream id). */
  lane: string;
  body: string;
  attributes: Attributes;
  groupId?: string;
  deduplicationId?: string;
  event?: { id: string };
}

/** A failed entry as both SDKs report it (Id is the entry's index in its batch: `e<i>`). */
export interface FailedEntry {
  Id?: string | undefined;
  SenderFault?: boolean | undefined;
  Code?: string | undefined;
  Message?: string | undefined;
}

export interface PublishSettings {
  /** Lanes sent side by side. */
  lanes: number;
  /** Retries of failed entries. */
  retries: number;
  signal?: AbortSignal;
}

/** SQS and SNS take at most 10 entries per batch call. */
export const BATCH_SIZE = 10;

/**
 * Sends entries in batches of 10: the entries are split into lanes by their lane key (so one stream's
 * entries stay in one lane, in order), each lane sends its batches one after the other, lanes side by
 * side. A batch whose entries partly failed sends only the failed ones again, with backoff, before the
 * lane goes on; an entry the service refused as the sender's fault fails the call at once.
 */
export async function publishEntries(
  destination: string,
  entries: readonly BatchEntry[],
  settings: PublishSettings,
  send: (batch: readonly BatchEntry[], signal: AbortSignal | undefined) => Promise<FailedEntry[]>,
): Promise<void> {
  const lanes: BatchEntry[][] = Array.from({ length: Math.min(settings.lanes, entries.length) }, () => []);
  for (const entry of entries) lanes[hash(entry.lane) % lanes.length]!.push(entry);
  const results = await Promise.allSettled(
    lanes.map(async (lane) => {
      for (let i = 0; i < lane.length; i += BATCH_SIZE) {
        await sendBatch(destination, lane.slice(i, i + BATCH_SIZE), settings, send);
      }
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

async function sendBatch(
  destination: string,
  batch: readonly BatchEntry[],
  settings: PublishSettings,
  send: (batch: readonly BatchEntry[], signal: AbortSignal | undefined) => Promise<FailedEntry[]>,
): Promise<void> {
  let pending = batch;
  for (let attempt = 0; ; attempt++) {
    let failed: FailedEntry[];
    try {
      failed = await send(pending, settings.signal);
    } catch (cause) {
      throw translateDriverError('SQS', cause, `send ${pending.length} messages to ${destination}`);
    }
    if (failed.length === 0) return;
    const byId = (f: FailedEntry) => pending[Number(f.Id?.slice(1))];
    const refused = failed.find((f) => f.SenderFault === true);
    if (refused !== undefined || attempt >= settings.retries || settings.signal?.aborted === true) {
      const first = refused ?? failed[0]!;
      const id = byId(first)?.event?.id;
      throw new PublishNotConfirmedError(
        `${destination} refused ${failed.length} of ${pending.length} messages${refused === undefined ? ` after ${attempt + 1} attempts` : ''} (first: event ${id ?? 'unknown'}: ${first.Code ?? 'error'} ${first.Message ?? ''})`.trim(),
        id,
      );
    }
    pending = failed.map(byId).filter((e): e is BatchEntry => e !== undefined);
    await sleep(backoffDelay(attempt + 1, { initialDelayMs: 50, maxDelayMs: 2000 }), settings.signal);
  }
}

function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
