import type { StoredMsg } from '@nats-io/jetstream';
import type { BrokerDeadLetter } from '../../messaging/broker.js';
import { decodeDeadLetter } from '../shared/dead-letters.js';
import { fromNatsMessage, headerRecord } from './wire.js';

/** Headers Factum adds to a dead-lettered message, beside the original ones. */
export const DeadLetterHeaders = {
  reason: 'Factum-Reason',
  error: 'Factum-Error',
  attempts: 'Factum-Attempts',
  group: 'Factum-Group',
  at: 'Factum-Dead-Lettered-At',
  subject: 'Factum-Subject',
} as const;

export function toNatsDeadLetter(group: string, stored: StoredMsg): BrokerDeadLetter {
  return decodeDeadLetter(group, DeadLetterHeaders, {
    headers: headerRecord(stored.header),
    body: stored.data,
    decode: () => fromNatsMessage(stored.header, stored.data),
    storedAt: stored.time,
  });
}
