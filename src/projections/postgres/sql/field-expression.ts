import { createHash } from 'node:crypto';
import { physicalName, quoteIdent } from '../../names.js';
import type { ProjectionTables } from './tables.js';

/**
 * The SQL expression for a document field, as jsonb: `doc #> '{address,city}'` with JSON null read as
 * SQL NULL (a null field matches like a missing one) and booleans read as 1/0 (as the portable filter
 * gives them, and as SQLite's json_extract does). jsonb compares numbers numerically and strings by the
 * database collation, so one expression serves equality, ranges and ordering. Filters, ordering and
 * index definitions use exactly this text, which is what lets PostgreSQL use an index for a filter.
 * The field passed assertField (letters, digits, '_' and '.'), so it is safe inside the literal.
 */
export function fieldExpression(field: string): string {
  const path = `doc #> '{${field.split('.').join(',')}}'`;
  return `(CASE ${path} WHEN 'true' THEN '1'::jsonb WHEN 'false' THEN '0'::jsonb WHEN 'null' THEN NULL ELSE ${path} END)`;
}

/** The schema-qualified, quoted table of a collection (or raw table) in one generation. */
export function generationTable(t: ProjectionTables, name: string, generation: number): string {
  return `${t.schema.quoted}.${quoteIdent(physicalName(name, generation))}`;
}

/**
 * A stable index name for a list of fields of one generation's table: a hash, since PostgreSQL keeps
 * only 63 bytes of a name and cut-off names could collide.
 */
export function indexName(collection: string, generation: number, fields: readonly string[]): string {
  const hash = createHash('sha1')
    .update(`${physicalName(collection, generation)}:${fields.join(',')}`)
    .digest('hex')
    .slice(0, 24);
  return quoteIdent(`factum_ix_${hash}`);
}
