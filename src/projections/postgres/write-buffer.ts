import type { Queryable } from './sql/tables.js';
import { writeDocuments } from './sql/write-documents.js';

/** Documents held per table before a flush writes them (bounds memory, keeps statements moderate). */
const MAX_BUFFERED = 1_000;

/**
 * The document writes of one transaction not yet sent: per table, the latest document of each id
 * (JSON text) or null for a delete. A batch's upserts then cost two statements per table instead of a
 * round trip each. Everything that could observe the table in the database flushes first: find,
 * count, raw SQL, savepoint boundaries and the commit; `get` reads the buffer first. The buffer only
 * ever holds whole documents the database will accept (checked when they are buffered), so a flush
 * fails only for reasons of the connection, never because of one event's data.
 */
export class WriteBuffer {
  readonly #tables = new Map<string, Map<string, string | null>>();
  readonly #db: Queryable;

  constructor(db: Queryable) {
    this.#db = db;
  }

  /** The buffered document of `id` (JSON text), null when a delete is buffered, undefined when nothing is. */
  pending(table: string, id: string): string | null | undefined {
    return this.#tables.get(table)?.get(id);
  }

  async set(table: string, id: string, json: string | null): Promise<void> {
    let writes = this.#tables.get(table);
    if (writes === undefined) {
      writes = new Map();
      this.#tables.set(table, writes);
    }
    writes.delete(id);
    writes.set(id, json);
    if (writes.size >= MAX_BUFFERED) await this.flush(table);
  }

  /** Sends the buffered writes of one table, or of all. */
  async flush(table?: string): Promise<void> {
    const tables = table === undefined ? [...this.#tables.keys()] : [table];
    for (const t of tables) {
      const writes = this.#tables.get(t);
      if (writes === undefined || writes.size === 0) continue;
      this.#tables.delete(t);
      await writeDocuments(this.#db, t, writes);
    }
  }

  /** Forgets what is buffered (a savepoint rolled back, or the transaction). */
  discard(): void {
    this.#tables.clear();
  }
}
