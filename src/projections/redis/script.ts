import { createHash } from 'node:crypto';

/**
 * The one write of a transaction, run as a Lua script so it applies whole or not at all:
 * 1. guards (a batch's checkpoint): if the stored checkpoint is not below the batch's position,
 *    nothing is written and the script answers `stale` (the batch was applied already);
 * 2. document writes, moving each id between index sets (the old sets are read from the ix hash);
 * 3. checkpoints (a lower position never replaces a higher one), hash fields and plain keys.
 * Positions are zero-padded decimal strings compared as strings: Lua numbers lose precision past 2^53.
 */
export const APPLY_SCRIPT = `
local ops = cjson.decode(ARGV[1])
for _, g in ipairs(ops.g) do
  local cur = redis.call('GET', g[1])
  if cur and cur >= g[2] then return 'stale:' .. g[1] .. ':' .. cur end
end
for _, w in ipairs(ops.w) do
  local old = redis.call('HGET', w[2], w[3])
  if old then
    for _, k in ipairs(cjson.decode(old)) do redis.call('SREM', k, w[3]) end
  end
  if w[4] then
    redis.call('HSET', w[1], w[3], w[4])
    for _, k in ipairs(w[6]) do redis.call('SADD', k, w[3]) end
    if #w[6] > 0 then redis.call('HSET', w[2], w[3], w[5]) elseif old then redis.call('HDEL', w[2], w[3]) end
  else
    redis.call('HDEL', w[1], w[3])
    if old then redis.call('HDEL', w[2], w[3]) end
  end
end
for _, c in ipairs(ops.c) do
  if c[2] then
    local cur = redis.call('GET', c[1])
    if (not cur) or cur < c[2] then redis.call('SET', c[1], c[2]) end
  else
    redis.call('DEL', c[1])
  end
end
for _, h in ipairs(ops.h) do redis.call('HSET', h[1], h[2], h[3]) end
for _, s in ipairs(ops.s) do
  if s[2] then redis.call('SET', s[1], s[2]) else redis.call('DEL', s[1]) end
end
return 'ok'
`;

export const APPLY_SHA = createHash('sha1').update(APPLY_SCRIPT).digest('hex');

/** What one transaction writes, as the script reads it. */
export interface ScriptOps {
  /** [checkpoint key, padded position]: apply only if the stored checkpoint is below. */
  g: [string, string][];
  /** [docs key, ix key, id, JSON or false (delete), ix JSON, index set keys]. */
  w: [string, string, string, string | false, string, string[]][];
  /** [checkpoint key, padded position, or false to delete]. */
  c: [string, string | false][];
  /** [hash key, field, value]. */
  h: [string, string, string][];
  /** [key, value, or false to delete]. */
  s: [string, string | false][];
}
