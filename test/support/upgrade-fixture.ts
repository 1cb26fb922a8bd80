// The stores written by release 0.1 (test/fixtures/upgrade, made by make-fixtures.ts) and their
// manifest, for upgrade tests: a copy of the SQLite file, and the PostgreSQL dump restored into a
// schema of the test's own, its positions rebased onto this server's transaction ids.
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export const UPGRADE_FIXTURES = fileURLToPath(new URL('../fixtures/upgrade/', import.meta.url));

/** One projection as the release left it. Positions are decimal strings, as written by the release. */
export interface ProjectionManifest {
  name: string;
  mode: 'async' | 'inline';
  liveGeneration: number;
  /** The live generation's stored checkpoint ('0' for the inline projection: it never moves). */
  checkpoint: string;
  /** Events after the checkpoint (0 for inline). */
  behind: number;
  collection: string;
  /** The collection's documents now, by id. */
  documents: Record<string, object>;
  /** The documents once the projection has applied the log up to the head. */
  documentsAtHead: Record<string, object>;
}

export interface RelayManifest {
  name: string;
  /** The relay checkpoint. */
  position: string;
  /** The relay's category filter (null: every event). */
  categories: string[] | null;
  /** Events after the checkpoint the relay still has to publish. */
  pending: number;
}

export interface StoreManifest {
  /** Position of the last event. */
  head: string;
  events: number;
  appends: number;
  projections: ProjectionManifest[];
  relays: RelayManifest[];
  /** The lease row of relay `relay`, taken after it stopped and left to expire (1 s ttl). */
  relayLease: { name: string; owner: string };
  /** Outbox row ids (event ids), in position order. */
  outbox: { published: string[]; unpublished: string[] };
  inbox: { consumer: string; eventId: string }[];
  deadLetter: { projection: string; eventId: string; streamId: string; version: number; position: string };
}

export interface PostgresFixtureManifest extends StoreManifest {
  file: string;
  /** The schema name in the dump. */
  schema: string;
}

export interface UpgradeManifest {
  release: { version: string; commit: string };
  sqlite: StoreManifest & { file: string };
  postgres: PostgresFixtureManifest;
}

export function readUpgradeManifest(): UpgradeManifest {
  return JSON.parse(readFileSync(join(UPGRADE_FIXTURES, 'manifest.json'), 'utf8')) as UpgradeManifest;
}

/** JSON with object keys sorted: documents compare equal whatever key order the database keeps (jsonb has its own). */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** Copies the SQLite fixture into `dir`; returns the copy's path. */
export function copySqliteFixture(dir: string): string {
  const { file } = readUpgradeManifest().sqlite;
  const target = join(dir, file);
  copyFileSync(join(UPGRADE_FIXTURES, file), target);
  return target;
}

/**
 * A manifest position as it is in a restored PostgreSQL schema (`shift` from restorePostgresFixture;
 * 0n for SQLite). Position 0 (nothing applied) stays 0.
 */
export function shiftPosition(position: string | bigint, shift: bigint): bigint {
  const p = BigInt(position);
  return p === 0n ? 0n : p - shift;
}

const SEQUENCE = 65_536n;

/**
 * Columns that hold log positions, which carry the appending transaction's id, per table of the
 * release 0.1 schema (PostgreSQL migrations 0001-0013). `json`: a column holding a whole event, with
 * its position as a string. Every other table of the schema is listed in NO_POSITIONS; a table in
 * neither refuses the restore, so a new one is classified before it is restored.
 */
const POSITIONS: Record<string, { columns: readonly string[]; json?: string }> = {
  factum_events: { columns: ['position'] },
  factum_projection_checkpoints: { columns: ['position'] },
  factum_projection_dead_letters: { columns: ['position'], json: 'event' },
  factum_checkpoints: { columns: ['position'] },
};
const NO_POSITIONS = new Set([
  'factum_migrations',
  'factum_snapshots',
  'factum_projections',
  'factum_projection_objects',
  'factum_projection_leases',
  'factum_leases',
  'factum_outbox', // its position is the outbox's own identity, not a log position
  'factum_inbox',
]);
const READ_MODEL = /^[a-z][a-z0-9_]*__g\d+$/; // a collection's generation table: (id, doc)

/**
 * Restores the PostgreSQL fixture into a new schema `schema`, in one transaction, and returns the
 * shift applied to its positions. A position is transaction id × 2^16 + sequence, and readers only
 * see events of transactions below the oldest one running, so events written at transaction ids this
 * server has not reached yet would stay invisible. Every log position is therefore lowered by the
 * same multiple of 2^16 (order is kept: positions are only compared), putting the first event's
 * transaction at id 1; then, if needed, transaction ids are used up until the server is past the
 * last restored one. Translate manifest positions with shiftPosition(position, shift).
 *
 * pg_dump's COPY data is loaded as INSERTs (node-postgres cannot stream COPY), its positions rebased
 * as they are inserted: the dump creates the primary keys and the append-only triggers of the events
 * after their data, so the rows never need an UPDATE. Its session settings apply to the transaction only.
 */
export async function restorePostgresFixture(pool: pg.Pool, schema: string): Promise<bigint> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`unsupported schema name ${schema}`);
  const manifest = readUpgradeManifest().postgres;
  const parts = parseDump(readFileSync(join(UPGRADE_FIXTURES, manifest.file), 'utf8'));
  const from = new RegExp(`\\b${manifest.schema}\\b`, 'g');
  const events = parts.find((p): p is CopyPart => p.kind === 'copy' && p.table === 'factum_events');
  const positions = (events?.rows ?? [])
    .map((r) => BigInt(r[events!.columns.indexOf('position')]!))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // The first event's transaction becomes transaction 1; an empty log needs no shift.
  const shift = ((positions[0] ?? SEQUENCE) / SEQUENCE - 1n) * SEQUENCE;
  const highest = (positions.at(-1) ?? shift) - shift;

  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const part of parts) {
      if (part.kind === 'sql') {
        await client.query(sessionLocal(part.text.replace(from, schema)));
        continue;
      }
      const rows = part.rows.map((row) => rebase(part, row, shift));
      const size = Math.max(1, Math.min(200, Math.floor(30_000 / part.columns.length)));
      for (let i = 0; i < rows.length; i += size) {
        const chunk = rows.slice(i, i + size);
        const values = chunk.map(
          (_, r) => `(${part.columns.map((_, c) => `$${r * part.columns.length + c + 1}`).join(', ')})`,
        );
        await client.query(
          `INSERT INTO ${schema}.${part.quotedTable} (${part.header}) OVERRIDING SYSTEM VALUE VALUES ${values.join(', ')}`,
          chunk.flat(),
        );
      }
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  await passTransaction(pool, highest / SEQUENCE);
  await awaitHorizon(pool, highest / SEQUENCE);
  return shift;
}

/** Uses up transaction ids (one committed transaction each) until the server's next one is above `xid`. */
export async function passTransaction(pool: pg.Pool, xid: bigint): Promise<void> {
  for (;;) {
    const { rows } = await pool.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
    const current = BigInt(rows[0]!.xid);
    if (current > xid) return;
    const burn = Number(xid - current + 1n);
    await pool.query(
      `DO $$ BEGIN FOR i IN 1..${Math.min(burn, 100_000)} LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`,
    );
  }
}

/** Waits until readers see every transaction up to `xid` (one that began before may still be running). */
async function awaitHorizon(pool: pg.Pool, xid: bigint): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await pool.query<{ xmin: string }>(
      'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin',
    );
    if (BigInt(rows[0]!.xmin) > xid) return;
    if (Date.now() > deadline) throw new Error(`the server's horizon stays at or below transaction ${xid}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface SqlPart {
  kind: 'sql';
  text: string;
}

interface CopyPart {
  kind: 'copy';
  /** Unqualified, unquoted table name. */
  table: string;
  quotedTable: string;
  /** The column list as written in the dump. */
  header: string;
  /** Unquoted column names. */
  columns: string[];
  rows: (string | null)[][];
}

/** Splits pg_dump's plain output into SQL and COPY data; psql meta-commands (\restrict …) are dropped. */
function parseDump(text: string): (SqlPart | CopyPart)[] {
  const parts: (SqlPart | CopyPart)[] = [];
  let sql: string[] = [];
  let copy: CopyPart | undefined;
  for (const line of text.split('\n')) {
    if (copy !== undefined) {
      if (line === '\\.') {
        parts.push(copy);
        copy = undefined;
      } else {
        copy.rows.push(line.split('\t').map(unescapeCopy));
      }
      continue;
    }
    const header = /^COPY ([^ ]+)\.([^ .]+) \((.*)\) FROM stdin;$/.exec(line);
    if (header !== null) {
      parts.push({ kind: 'sql', text: sql.join('\n') });
      sql = [];
      const [, , quotedTable, columns] = header as unknown as [string, string, string, string];
      const table = unquote(quotedTable);
      if (!(table in POSITIONS) && !NO_POSITIONS.has(table) && !READ_MODEL.test(table)) {
        throw new Error(
          `the fixture has table ${table}: say in upgrade-fixture.ts whether it holds log positions`,
        );
      }
      const names = columns.split(', ').map(unquote);
      copy = { kind: 'copy', table, quotedTable, header: columns, columns: names, rows: [] };
      continue;
    }
    if (!line.startsWith('\\')) sql.push(line);
  }
  if (copy !== undefined) throw new Error(`the dump ends inside the data of ${copy.table}`);
  parts.push({ kind: 'sql', text: sql.join('\n') });
  return parts.filter((p) => p.kind === 'copy' || p.text.trim() !== '');
}

/** The dump's session settings, kept to the restore's transaction. */
function sessionLocal(sql: string): string {
  return sql
    .replace(/^SET (\w+) = /gm, 'SET LOCAL $1 = ')
    .replace(
      /pg_catalog\.set_config\('search_path', '', false\)/g,
      "pg_catalog.set_config('search_path', '', true)",
    );
}

function rebase(part: CopyPart, row: (string | null)[], shift: bigint): (string | null)[] {
  const spec = POSITIONS[part.table];
  if (spec === undefined || shift === 0n) return row;
  const out = [...row];
  for (const column of spec.columns) {
    const i = part.columns.indexOf(column);
    const value = out[i];
    if (value !== null && value !== undefined) out[i] = shiftPosition(value, shift).toString();
  }
  if (spec.json !== undefined) {
    const i = part.columns.indexOf(spec.json);
    const value = out[i];
    if (value !== null && value !== undefined) {
      const event = JSON.parse(value) as { position: string };
      out[i] = JSON.stringify({ ...event, position: shiftPosition(event.position, shift).toString() });
    }
  }
  return out;
}

function unquote(identifier: string): string {
  return identifier.startsWith('"') ? identifier.slice(1, -1).replaceAll('""', '"') : identifier;
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** A field of COPY's text format: \N is NULL; backslash sequences as PostgreSQL reads them. */
function unescapeCopy(field: string): string | null {
  if (field === '\\N') return null;
  return field.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e.startsWith('x') && e.length > 1) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    return ESCAPES[e] ?? e;
  });
}
