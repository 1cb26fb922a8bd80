import type Database from 'better-sqlite3';

const caches = new WeakMap<Database.Database, Map<string, Database.Statement<unknown[], unknown>>>();
const MAX_CACHED = 500;

/** A prepared statement for `sql` on `db`, cached per connection (bounded: filters make many shapes). */
export function statement<R = unknown>(db: Database.Database, sql: string): Database.Statement<unknown[], R> {
  let cache = caches.get(db);
  if (cache === undefined) {
    cache = new Map();
    caches.set(db, cache);
  }
  let s = cache.get(sql);
  if (s === undefined) {
    if (cache.size >= MAX_CACHED) cache.clear();
    s = db.prepare<unknown[], unknown>(sql);
    cache.set(sql, s);
  }
  return s as Database.Statement<unknown[], R>;
}

/** Forgets cached statements that mention a dropped object. */
export function forgetStatements(db: Database.Database, mentioning: string): void {
  const cache = caches.get(db);
  if (cache === undefined) return;
  for (const sql of cache.keys()) if (sql.includes(mentioning)) cache.delete(sql);
}
