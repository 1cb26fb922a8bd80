import { createHash } from 'node:crypto';
import { physicalName, quoteIdent } from '../../names.js';

/**
 * The SQL expression for a document field: `json_extract(doc, '$.address.city')`. The field passed
 * assertField (letters, digits, '_' and '.'), so it is safe inside the string literal; filters and
 * index definitions use exactly this text, which is what lets SQLite use an index for a filter.
 */
export function fieldExpression(field: string): string {
  return `json_extract(doc, '$.${field}')`;
}

/** The quoted physical table of a collection in one generation. */
export function collectionTable(collection: string, generation: number): string {
  return quoteIdent(physicalName(collection, generation));
}

/** A stable index name for a list of fields (a hash, so 'a.b' and 'a_b' never collide). */
export function indexName(collection: string, generation: number, fields: readonly string[]): string {
  const hash = createHash('sha1').update(fields.join(',')).digest('hex').slice(0, 12);
  return quoteIdent(`${physicalName(collection, generation)}__ix_${hash}`);
}
