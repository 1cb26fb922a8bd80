import type { PoolClient } from 'pg';

/** A connection inside a transaction (or a read-only one): what every operation here runs on. */
export type Queryable = Pick<PoolClient, 'query'>;
