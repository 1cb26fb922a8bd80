export { RedisCommandError, StaleBatchError } from '../../core/errors.js';
export type { RedisCommands } from './client.js';
export type { RedisProjectionStorage, RedisProjectionStorageOptions } from './storage.js';
export { redisProjectionStorage } from './storage.js';
