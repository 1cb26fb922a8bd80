import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

export interface MessageInsert {
  messageId: string;
  streamId: string;
  category: string;
  type: string;
  headers: string;
  body: string;
}

/** Stores one message and a delivery row for each group it is for; returns its sequence number. */
export function insertMessage(
  db: Database.Database,
  namespace: string,
  message: MessageInsert,
  groups: readonly string[],
  now: number,
): bigint {
  const info = statement(
    db,
    `INSERT INTO factum_broker_messages (namespace, message_id, stream_id, category, type, headers, body, published_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    namespace,
    message.messageId,
    message.streamId,
    message.category,
    message.type,
    message.headers,
    message.body,
    now,
  );
  const seq = BigInt(info.lastInsertRowid);
  const deliver = statement(
    db,
    'INSERT INTO factum_broker_deliveries (namespace, grp, seq, stream_id) VALUES (?, ?, ?, ?)',
  );
  for (const group of groups) deliver.run(namespace, group, seq, message.streamId);
  return seq;
}
