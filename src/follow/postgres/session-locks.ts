import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { StoreClosedError } from '../../core/errors.js';
import { translate } from '../../stores/postgres/kit.js';
import type { SessionLock, SessionLocks } from '../storage.js';

interface Connection {
  client: PoolClient;
  lost: boolean;
  onError: () => void;
}

/**
 * Session-level advisory locks of one process on one schema, all held by one pooled connection
 * (taken when the first lock is, given back when the last is released). The database releases them
 * when that connection ends, whether the process exits, crashes or loses the network: a standby's
 * `pg_try_advisory_lock` then succeeds. A lock is held once per process (a second `tryLock` of the
 * same name here returns undefined, though PostgreSQL itself would let the session take it again).
 * Session locks need a session of their own: behind a transaction-pooling proxy (PgBouncer in
 * transaction mode) use lease rows instead.
 */
export class PostgresSessionLocks implements SessionLocks {
  readonly #pool: Pool;
  readonly #key: string;
  readonly #closed: () => boolean;
  readonly #held = new Set<string>();
  #connection: Promise<Connection> | undefined;
  /** The lock connection runs one query at a time (pg deprecates queueing them on a client). */
  #serial: Promise<unknown> = Promise.resolve();

  /** `closed`: whether the store using the pool has closed (no connection may be asked for then). */
  constructor(pool: Pool, schema: string, closed: () => boolean) {
    this.#pool = pool;
    this.#key = `factum:lease:${schema}`;
    this.#closed = closed;
  }

  #query<R extends object = object>(
    conn: Connection,
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[] }> {
    const run = this.#serial.then(() => conn.client.query<R & QueryResultRow>(text, values));
    this.#serial = run.catch(() => {});
    return run;
  }

  async tryLock(name: string): Promise<SessionLock | undefined> {
    if (this.#closed()) throw new StoreClosedError(`take the session lock ${name}`);
    if (this.#held.has(name)) return undefined;
    this.#held.add(name);
    let conn: Connection;
    let ok = false;
    try {
      conn = await this.#connect();
      const { rows } = await this.#query<{ ok: boolean }>(
        conn,
        'SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS ok',
        [this.#key, name],
      );
      ok = rows[0]?.ok === true;
    } catch (error) {
      this.#forget(name);
      throw translate(error, `take the session lock ${name}`);
    }
    if (!ok) {
      this.#forget(name);
      return undefined;
    }
    let released = false;
    return {
      alive: async () => {
        if (released || conn.lost) return false;
        try {
          await this.#query(conn, 'SELECT 1');
          return !conn.lost;
        } catch {
          this.#lose(conn);
          return false;
        }
      },
      release: async () => {
        if (released) return;
        released = true;
        if (!conn.lost) {
          await this.#query(conn, 'SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', [
            this.#key,
            name,
          ]).catch(() => this.#lose(conn));
        }
        this.#forget(name);
      },
    };
  }

  /** Gives every lock up at once, and the connection back (the store is closing). */
  async releaseAll(): Promise<void> {
    this.#held.clear();
    const current = this.#connection;
    this.#connection = undefined;
    const conn = await current?.catch(() => undefined);
    if (conn !== undefined) this.#lose(conn);
  }

  #connect(): Promise<Connection> {
    this.#connection ??= this.#pool.connect().then(
      (client) => {
        const conn: Connection = { client, lost: false, onError: () => this.#lose(conn) };
        // A checked-out client's connection error must not go unhandled: it means the locks are gone.
        client.on('error', conn.onError);
        client.on('end', conn.onError);
        return conn;
      },
      (error: unknown) => {
        this.#connection = undefined;
        throw error;
      },
    );
    return this.#connection;
  }

  /** The connection ended: every lock it held is gone. */
  #lose(conn: Connection): void {
    if (conn.lost) return;
    conn.lost = true;
    this.#connection = undefined;
    this.#detach(conn);
    conn.client.release(true);
  }

  #detach(conn: Connection): void {
    conn.client.off('error', conn.onError);
    conn.client.off('end', conn.onError);
  }

  /** A name is no longer held; the connection goes back to the pool once none is. */
  #forget(name: string): void {
    this.#held.delete(name);
    if (this.#held.size > 0) return;
    const current = this.#connection;
    this.#connection = undefined;
    void current?.then(
      (conn) => {
        if (conn.lost) return;
        conn.lost = true;
        this.#detach(conn);
        conn.client.release();
      },
      () => {},
    );
  }
}
