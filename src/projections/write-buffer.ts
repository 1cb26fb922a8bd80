/** Writes one table's buffered documents (JSON text, or null for a delete), each id at most once. */
export type WriteDocuments = (
  table: string,
  writes: ReadonlyMap<string, string | null>,
) => Promise<void> | void;

/**
 * The document writes of one transaction or batch not yet sent: per table, the latest document of
 * each id (JSON text) or null for a delete. Whoever reads through it sees its own writes: `get`
 * reads the buffer first, and everything that could observe a table in the database (find, count,
 * raw SQL, savepoint boundaries, the commit) flushes it first or, outside a transaction, cannot be
 * answered (see the SQLite batch). The buffer only ever holds whole documents the database will accept
 * (checked when they are buffered), so a flush fails only for reasons of the connection, never
 * because of one event's data.
 *
 * PostgreSQL: a batch's upserts then cost two statements per table instead of a round trip each.
 * SQLite: a batch's handlers run without the write lock, which is taken only to write the buffer.
 */
export class WriteBuffer {
  readonly #tables = new Map<string, Map<string, string | null>>();
  readonly #write: WriteDocuments;
  /** Documents held per table before `set` flushes that table. */
  readonly #maxPerTable: number;
  #size = 0;
  /** While a mark is set: how to undo each write made since (table, id, what the buffer held before). */
  #undo: [string, string, string | null | undefined][] | undefined;

  constructor(write: WriteDocuments, maxPerTable = Number.POSITIVE_INFINITY) {
    this.#write = write;
    this.#maxPerTable = maxPerTable;
  }

  /** Documents (and deletes) buffered over all tables. */
  get size(): number {
    return this.#size;
  }

  /** The buffered document of `id` (JSON text), null when a delete is buffered, undefined when nothing is. */
  pending(table: string, id: string): string | null | undefined {
    return this.#tables.get(table)?.get(id);
  }

  /** Whether writes to `table` are buffered. */
  holds(table: string): boolean {
    return (this.#tables.get(table)?.size ?? 0) > 0;
  }

  /** Buffers a write; returns the flush of `table` when it made the table full, else undefined. */
  set(table: string, id: string, json: string | null): Promise<void> | undefined {
    let writes = this.#tables.get(table);
    if (writes === undefined) {
      writes = new Map();
      this.#tables.set(table, writes);
    }
    this.#undo?.push([table, id, writes.get(id)]);
    if (writes.delete(id)) this.#size--;
    writes.set(id, json);
    this.#size++;
    return writes.size >= this.#maxPerTable ? this.flush(table) : undefined;
  }

  /** Sends the buffered writes of one table, or of all. */
  async flush(table?: string): Promise<void> {
    const tables = table === undefined ? [...this.#tables.keys()] : [table];
    for (const t of tables) {
      const writes = this.#tables.get(t);
      if (writes === undefined || writes.size === 0) continue;
      this.#tables.delete(t);
      this.#size -= writes.size;
      await this.#write(t, writes);
    }
  }

  /** Forgets what is buffered (a savepoint rolled back, or the transaction). */
  discard(): void {
    this.#tables.clear();
    this.#size = 0;
    this.#undo = undefined;
  }

  /**
   * Starts recording writes so that `undo` can take them back (one handler call of a batch); for a
   * buffer that is not flushed until `keep` or `undo`.
   */
  mark(): void {
    this.#undo = [];
  }

  /** Keeps the writes made since `mark` and stops recording. */
  keep(): void {
    this.#undo = undefined;
  }

  /** Takes back the writes made since `mark`, newest first, and stops recording. */
  undo(): void {
    const steps = this.#undo ?? [];
    this.#undo = undefined;
    for (let i = steps.length - 1; i >= 0; i--) {
      const [table, id, before] = steps[i]!;
      const writes = this.#tables.get(table);
      if (writes === undefined) continue;
      if (writes.delete(id)) this.#size--;
      if (before !== undefined) {
        writes.set(id, before);
        this.#size++;
      }
    }
  }
}
