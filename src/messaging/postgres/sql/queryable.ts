import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';

/** A pool or a client: whatever can run one query. */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(config: QueryConfig): Promise<QueryResult<R>>;
}
