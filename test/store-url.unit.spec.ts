import { ErrorCodes } from 'factum';
import { describe, expect, it } from 'vitest';
import { parseStoreUrl } from '../src/store-url.js';

describe('parseStoreUrl', () => {
  it('reads each kind of store URL', () => {
    expect(parseStoreUrl('memory:')).toEqual({ kind: 'memory' });
    expect(parseStoreUrl('sqlite:./data/app.db')).toEqual({ kind: 'sqlite', filename: './data/app.db' });
    expect(parseStoreUrl('sqlite::memory:')).toEqual({ kind: 'sqlite', filename: ':memory:' });
    expect(parseStoreUrl('postgres://u@h:5432/db?sslmode=disable')).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u@h:5432/db?sslmode=disable',
      schema: 'factum',
    });
    expect(parseStoreUrl('postgresql://u@h/db', { schema: 'shop' })).toMatchObject({ schema: 'shop' });
  });

  it('takes the schema from ?schema= and leaves it out of the connection string', () => {
    expect(parseStoreUrl('postgres://u@h/db?schema=shop')).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u@h/db',
      schema: 'shop',
    });
    expect(
      parseStoreUrl('postgres://u@h/db?application_name=app&schema=shop&sslmode=disable', { schema: 'shop' }),
    ).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u@h/db?application_name=app&sslmode=disable',
      schema: 'shop',
    });
  });

  it('refuses what it does not read, with one wording and no password', () => {
    const refused = (url: string, options = {}) => {
      try {
        parseStoreUrl(url, options);
      } catch (error) {
        return error as Error & { code: string; url?: string };
      }
      throw new Error(`accepted ${url}`);
    };
    expect(refused('mysql://x')).toMatchObject({
      code: ErrorCodes.UNSUPPORTED_STORE_URL,
      message:
        'Cannot open store: unsupported store URL mysql://x (expected memory:, sqlite:<path>, sqlite::memory: or postgres://…)',
    });
    expect(refused('memory:', { kinds: ['sqlite', 'postgres'] }).message).toBe(
      'Cannot open store: unsupported store URL memory: (expected sqlite:<path> or postgres://…)',
    );
    const unknown = refused('postgres://u:s3cret@h/db?password=s3cret&pool_max=5&connect_timeout=3');
    expect(unknown.code).toBe(ErrorCodes.UNSUPPORTED_STORE_URL);
    expect(unknown.message).toMatch(
      /^Cannot open store: unsupported store URL postgres:\/\/u:\*\*\*@h\/db\?password=\*\*\*&pool_max=5&connect_timeout=3 \(unknown query parameters pool_max, connect_timeout; a postgres:\/\/ URL takes schema and what node-postgres reads: host, /,
    );
    expect(unknown.url).not.toContain('s3cret');
    expect(refused('sqlite:app.db?mode=ro').message).toContain(
      '(unknown query parameter mode; a SQLite URL takes none)',
    );
    expect(refused('sqlite:').code).toBe(ErrorCodes.UNSUPPORTED_STORE_URL);
    expect(refused('postgres://h/db?schema=a&schema=b').message).toContain('(schema is given twice)');
    expect(refused('postgres://h/db?schema=').message).toContain('(schema is empty)');
    expect(refused('postgres://h/db?schema=a', { schema: 'b', schemaSource: '--schema' })).toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
      message:
        'Two schemas for one store: the store URL says schema=a and --schema says b; give one, or the same in both',
    });
  });
});
