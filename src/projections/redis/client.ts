import { RedisCommandError } from '../../core/errors.js';
import { APPLY_SCRIPT, APPLY_SHA, type ScriptOps } from './script.js';

/**
 * What the Redis storage needs of a client: raw commands. A connected node-redis client
 * (`createClient({ url }).connect()`, v4 or v5) fits; the caller creates, connects and closes it.
 */
export interface RedisCommands {
  sendCommand(args: string[]): Promise<unknown>;
}

export async function command<T = unknown>(client: RedisCommands, args: string[]): Promise<T> {
  try {
    return (await client.sendCommand(args)) as T;
  } catch (error) {
    throw new RedisCommandError(args[0] ?? '?', error);
  }
}

/** Runs the apply script (by its hash; loaded again after a Redis restart emptied the script cache). */
export async function applyOps(client: RedisCommands, ops: ScriptOps): Promise<string> {
  const { args, ...header } = ops;
  const json = JSON.stringify(header);
  try {
    return await command<string>(client, ['EVALSHA', APPLY_SHA, '0', json, ...args]);
  } catch (error) {
    if (!(error instanceof RedisCommandError) || !error.message.includes('NOSCRIPT')) throw error;
    return command<string>(client, ['EVAL', APPLY_SCRIPT, '0', json, ...args]);
  }
}
