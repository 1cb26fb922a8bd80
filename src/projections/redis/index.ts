export { RedisCommandError, type RedisCommands } from './client.js';
export type { RedisProjectionStorage, RedisProjectionStorageOptions } from './storage.js';
export { redisProjectionStorage, StaleBatchError } from './storage.js';
