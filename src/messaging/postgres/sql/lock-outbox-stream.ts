import type { Queryable } from '../../../stores/postgres/kit.js';
import type { MessagingNames } from './tables.js';

/**
 * Serialises outbox writers of one stream until their transactions end: the next writer computes
 * its version after the previous one committed, and a stream's positions follow its commit order.
 * A transaction-scoped lock, so it works behind PgBouncer in transaction pooling mode.
 */
export async function lockOutboxStream(
  db: Queryable,
  names: MessagingNames,
  streamId: string,
): Promise<void> {
  await db.query({
    text: 'SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))',
    values: [`factum:outbox:${names.schema}`, streamId],
  });
}
