import { createHash } from 'node:crypto';
import { ErrorCodes, ValidationError } from '../../core/errors.js';
import { assertName } from '../shared/naming.js';

/** SQS queue names: at most 80 characters, '.fifo' included. */
const MAX_QUEUE_NAME = 80;
const DLQ_SUFFIX = '-dlq';

/** Queue and topic names of one prefix. The prefix has no '-', so `<prefix>-` starts only its own names. */
export interface Names {
  readonly prefix: string;
  readonly fifo: boolean;
}

export function assertPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_]{1,40}$/.test(prefix)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'prefix',
      `prefix must be 1–40 letters, digits or '_' (no '-': it separates the prefix from the group), got ${String(prefix)}`,
    );
  }
}

/** Checks a group name and that its queue names fit SQS's 80 characters. */
export function assertGroup(names: Names, group: string): void {
  assertName('group', group);
  if (group.endsWith(DLQ_SUFFIX)) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'group',
      `group must not end with '${DLQ_SUFFIX}' (the suffix of dead-letter queues), got ${group}`,
    );
  }
  const longest = deadLetterQueueName(names, group);
  if (longest.length > MAX_QUEUE_NAME) {
    throw new ValidationError(
      ErrorCodes.INVALID_ARGUMENT,
      'group',
      `group ${group} makes the queue name ${longest} (${longest.length} characters); SQS allows ${MAX_QUEUE_NAME}`,
    );
  }
}

const suffix = (names: Names) => (names.fifo ? '.fifo' : '');

/** `<prefix>-<group>[.fifo]`. */
export function queueName(names: Names, group: string): string {
  return `${names.prefix}-${group}${suffix(names)}`;
}

/** `<prefix>-<group>-dlq[.fifo]`. */
export function deadLetterQueueName(names: Names, group: string): string {
  return `${names.prefix}-${group}${DLQ_SUFFIX}${suffix(names)}`;
}

/** The group of a queue name of this prefix; undefined for dead-letter queues and other names. */
export function groupOfQueue(names: Names, name: string): string | undefined {
  const start = `${names.prefix}-`;
  const end = suffix(names);
  if (!name.startsWith(start) || !name.endsWith(end)) return undefined;
  const group = name.slice(start.length, name.length - end.length);
  if (group.endsWith(DLQ_SUFFIX) || !/^[A-Za-z0-9_-]{1,200}$/.test(group)) return undefined;
  return group;
}

/**
 * `<prefix>-<category>[.fifo]`, the SNS topic of one category. A category that is not only letters,
 * digits and '-' is named by a hash ('_' and 16 hex digits), so every category has a valid, distinct
 * topic name.
 */
export function topicName(names: Names, category: string): string {
  const token = /^[A-Za-z0-9-]{1,200}$/.test(category)
    ? category
    : `_${createHash('sha256').update(category).digest('hex').slice(0, 16)}`;
  return `${names.prefix}-${token}${suffix(names)}`;
}

/**
 * The FIFO MessageGroupId of a stream: the stream id itself when SQS accepts it (1–128 characters,
 * letters, digits and ASCII punctuation), otherwise 'h-' and the SHA-256 of the stream id in hex, so
 * each stream keeps one group (and its order) whatever its id.
 */
export function messageGroupId(streamId: string): string {
  if (/^[\x21-\x7e]{1,128}$/.test(streamId)) return streamId;
  return `h-${createHash('sha256').update(streamId).digest('hex')}`;
}
