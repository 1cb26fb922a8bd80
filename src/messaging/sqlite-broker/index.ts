export type { SqliteBrokerOptions, SqliteBrokerRetentionOptions } from './sqlite-broker.js';
export { createSqliteBroker, SqliteBroker } from './sqlite-broker.js';
