/**
 * The Redis key layout of projection read models. Every key of a projection shares the hash tag
 * `{projection}`, so one projection's keys live in one slot and a script may touch them together.
 *
 *   <prefix>:{p}:live                 the key prefix of the generation readers see (the live pointer)
 *   <prefix>:{p}:gen:<g>              the epoch of generation g (absent: no such generation)
 *   <prefix>:{p}:checkpoint:<g>       generation g's checkpoint, a zero-padded decimal position
 *   <prefix>:{p}:g<g>.<epoch>:meta    hash: collection → its declared indexes (JSON)
 *   …:g<g>.<epoch>:<c>:docs           hash: id → document JSON
 *   …:g<g>.<epoch>:<c>:ix             hash: id → JSON list of the index sets holding the id
 *   …:g<g>.<epoch>:<c>:i:<n>:<values> set of ids whose index n fields have these values (JSON)
 */
export function projectionBase(prefix: string, projection: string): string {
  return `${prefix}:{${projection}}`;
}

export const liveKey = (base: string): string => `${base}:live`;
export const epochKey = (base: string, generation: number): string => `${base}:gen:${generation}`;
export const checkpointKey = (base: string, generation: number): string => `${base}:checkpoint:${generation}`;
export const generationPrefix = (base: string, generation: number, epoch: string): string =>
  `${base}:g${generation}.${epoch}`;
export const metaKey = (gen: string): string => `${gen}:meta`;
export const docsKey = (gen: string, collection: string): string => `${gen}:${collection}:docs`;
export const indexOfKey = (gen: string, collection: string): string => `${gen}:${collection}:ix`;
export const indexSetKey = (gen: string, collection: string, index: number, values: string): string =>
  `${gen}:${collection}:i:${index}:${values}`;

/** Digits of a padded position: bigint positions up to 2^64 fit, and compare as strings in Lua. */
const WIDTH = 20;

export function padPosition(position: bigint): string {
  if (position < 0n) throw new RangeError(`position ${position} is negative`);
  return position.toString().padStart(WIDTH, '0');
}

export function parsePosition(text: string): bigint {
  return BigInt(text);
}

const CHECKPOINT = /^projection:([a-z][a-z0-9_]*):(\d+)$/;

/** The projection and generation of a projection checkpoint name (see projectionCheckpoint). */
export function parseCheckpointName(name: string): { projection: string; generation: number } | undefined {
  const m = CHECKPOINT.exec(name);
  return m === null ? undefined : { projection: m[1]!, generation: Number(m[2]) };
}
