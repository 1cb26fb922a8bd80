import type Database from 'better-sqlite3';
import { statement } from '../../../stores/sqlite/kit.js';

/**
 * Position of the last committed event. SQLite positions are rowids assigned in commit order and
 * never reused (events are never deleted), so they are dense: the count after p is head - p.
 */
export function headPosition(db: Database.Database): bigint {
  const value = statement<number | null>(db, 'SELECT max(position) FROM factum_events').pluck().get();
  return BigInt(value ?? 0);
}
