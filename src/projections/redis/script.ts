import { createHash } from 'node:crypto';

/**
 * The one write of a transaction, run as a Lua script so it applies whole or not at all:
 * 0. layout guards: every generation the transaction used still has the epoch it read, and every
 *    collection it writes still has the indexes it read (the storage keeps both between
 *    transactions); if not, nothing is written and the script answers `layout` (read them again);
 * 1. guards (a batch's checkpoint): if the stored checkpoint is not below the batch's position,
 *    nothing is written and the script answers `stale` (the batch was applied already);
 * 2. document writes, per collection: each id moves between index sets (its old sets are read
 *    from the ix hash) when its indexed values changed, then the documents are written, with as few
 *    commands as the key count allows;
 * 3. checkpoints (a lower position never replaces a higher one), hash fields and plain keys.
 * Positions are zero-padded decimal strings compared as strings: Lua numbers lose precision past 2^53.
 */
export const APPLY_SCRIPT = `
local ops = cjson.decode(ARGV[1])
for _, e in ipairs(ops.e) do
  if redis.call('GET', e[1]) ~= e[2] then return 'layout:' .. e[1] end
end
for _, w in ipairs(ops.w) do
  if w[4] and (redis.call('HGET', w[4], w[5]) or '[]') ~= w[6] then return 'layout:' .. w[4] end
end
for _, g in ipairs(ops.g) do
  local cur = redis.call('GET', g[1])
  if cur and cur >= g[2] then return 'stale:' .. g[1] .. ':' .. cur end
end
local function chunked(cmd, key, list)
  for i = 1, #list, 4000 do redis.call(cmd, key, unpack(list, i, math.min(i + 3999, #list))) end
end
local function push(groups, key, id)
  local g = groups[key]
  if not g then g = {}; groups[key] = g end
  g[#g + 1] = id
end
-- Documents follow the header in ARGV, three arguments each: id, JSON ('' deletes) and ix JSON (the
-- index sets holding it, which the script reads only when the document moves between sets).
local at = 2
for _, w in ipairs(ops.w) do
  local docs, ix, n = w[1], w[2], w[3]
  local base = at
  local ids = {}
  for i = 1, n do ids[i] = ARGV[base + 3 * i - 3] end
  at = base + 3 * n
  local olds = {}
  for i = 1, n, 4000 do
    local part = redis.call('HMGET', ix, unpack(ids, i, math.min(i + 3999, n)))
    for k = 1, #part do olds[i + k - 1] = part[k] end
  end
  local srem, sadd, hset, hdel, ixset, ixdel = {}, {}, {}, {}, {}, {}
  local nhset, nhdel, nixset, nixdel = 0, 0, 0, 0
  for i = 1, n do
    local a = base + 3 * i - 3
    local id, old, json, ixs = ids[i], olds[i], ARGV[a + 1], ARGV[a + 2]
    local moved = json == '' or old ~= ixs
    if old and moved then
      for _, k in ipairs(cjson.decode(old)) do push(srem, k, id) end
    end
    if json ~= '' then
      hset[nhset + 1] = id
      hset[nhset + 2] = json
      nhset = nhset + 2
      if moved then
        if ixs ~= '[]' then
          for _, k in ipairs(cjson.decode(ixs)) do push(sadd, k, id) end
          ixset[nixset + 1] = id
          ixset[nixset + 2] = ixs
          nixset = nixset + 2
        elseif old then
          nixdel = nixdel + 1
          ixdel[nixdel] = id
        end
      end
    else
      nhdel = nhdel + 1
      hdel[nhdel] = id
      if old then
        nixdel = nixdel + 1
        ixdel[nixdel] = id
      end
    end
  end
  for k, g in pairs(srem) do chunked('SREM', k, g) end
  for k, g in pairs(sadd) do chunked('SADD', k, g) end
  chunked('HSET', docs, hset)
  chunked('HDEL', docs, hdel)
  chunked('HSET', ix, ixset)
  chunked('HDEL', ix, ixdel)
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

/** What one transaction writes, as the script reads it: a JSON header, then the documents' arguments. */
export interface ScriptOps {
  /** Per document: id, JSON ('' deletes), and the JSON list of its index set keys (the ix hash's value). */
  args: string[];
  /** [epoch key, epoch]: apply only if the generation still has the epoch the transaction used. */
  e: [string, string][];
  /** [checkpoint key, padded position]: apply only if the stored checkpoint is below. */
  g: [string, string][];
  /**
   * Per collection: [docs key, ix key, how many documents follow in `args`, then meta key,
   * collection and indexes JSON: apply only if the meta hash still says these indexes (false when
   * the transaction writes them itself)].
   */
  w: [string, string, number, string | false, string, string][];
  /** [checkpoint key, padded position, or false to delete]. */
  c: [string, string | false][];
  /** [hash key, field, value]. */
  h: [string, string, string][];
  /** [key, value, or false to delete]. */
  s: [string, string | false][];
}
