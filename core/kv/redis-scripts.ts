// Lua run inside Redis: the atomic, idempotent batch write (KV.apply) and the compare-and-delete.
// A script runs atomically but Redis does not roll back a script that fails half way, so APPLY first
// checks every op against the key types and field values it will meet (a dry run), and only then writes.

/**
 * KEYS: [onceKey?] then the op keys. ARGV[1] = '1' when KEYS[1] is the once key, ARGV[2] = once TTL (ms),
 * ARGV[3] = JSON array of ops `[name, keyIndex, ...args]` (see encodeOps in redis.ts).
 * Returns 1 if applied, 0 if the once key was already there (nothing written).
 */
export const APPLY_LUA = `
local once = ARGV[1] == '1'
if once and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local ops = cjson.decode(ARGV[3])

local WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value'
local sim = {}
local function state(k)
  local s = sim[k]
  if not s then
    s = { t = redis.call('TYPE', k)['ok'], f = {}, fresh = false }
    sim[k] = s
  end
  return s
end
local function need(s, want)
  if s.t ~= 'none' and s.t ~= want then return false end
  s.t = want
  return true
end
local function field(k, s, name)
  local v = s.f[name]
  if v == nil and not s.fresh then
    v = redis.call('HGET', k, name)
    if v == false then v = nil end
  end
  return v
end

for _, op in ipairs(ops) do
  local name, k = op[1], KEYS[op[2]]
  local s = state(k)
  if name == 'hincrby' or name == 'hincrbyfloat' then
    if not need(s, 'hash') then return redis.error_reply(WRONGTYPE) end
    local v = field(k, s, op[3])
    if name == 'hincrby' then
      if v ~= nil and not string.match(v, '^%-?%d+$') then return redis.error_reply('ERR hash value is not an integer') end
      s.f[op[3]] = '0'
    else
      if v ~= nil and tonumber(v) == nil then return redis.error_reply('ERR hash value is not a float') end
      s.f[op[3]] = '0.0'
    end
  elseif name == 'hset' then
    if not need(s, 'hash') then return redis.error_reply(WRONGTYPE) end
    local fv = op[3]
    for i = 1, #fv, 2 do s.f[fv[i]] = fv[i + 1] end
  elseif name == 'hsetnx' then
    if not need(s, 'hash') then return redis.error_reply(WRONGTYPE) end
    if field(k, s, op[3]) == nil then s.f[op[3]] = op[4] end
  elseif name == 'lpush' then
    if not need(s, 'list') then return redis.error_reply(WRONGTYPE) end
  elseif name == 'set' then
    s.t, s.f, s.fresh = 'string', {}, true
  elseif name == 'del' then
    s.t, s.f, s.fresh = 'none', {}, true
  end
end

if once then redis.call('SET', KEYS[1], '1', 'PX', ARGV[2]) end

for _, op in ipairs(ops) do
  local name, k = op[1], KEYS[op[2]]
  if name == 'hincrby' then
    redis.call('HINCRBY', k, op[3], op[4])
  elseif name == 'hincrbyfloat' then
    redis.call('HINCRBYFLOAT', k, op[3], op[4])
  elseif name == 'hset' then
    local fv = op[3]
    for i = 1, #fv, 1000 do
      redis.call('HSET', k, unpack(fv, i, math.min(i + 999, #fv)))
    end
  elseif name == 'hsetnx' then
    redis.call('HSETNX', k, op[3], op[4])
  elseif name == 'set' then
    if op[4] > 0 then redis.call('SET', k, op[3], 'PX', op[4]) else redis.call('SET', k, op[3]) end
  elseif name == 'lpush' then
    local vals = op[3]
    for i = 1, #vals, 1000 do
      redis.call('LPUSH', k, unpack(vals, i, math.min(i + 999, #vals)))
    end
    redis.call('LTRIM', k, 0, op[4] - 1)
  elseif name == 'expire' then
    redis.call('PEXPIRE', k, op[3])
  elseif name == 'del' then
    redis.call('DEL', k)
  end
end
return 1
`;

/** KEYS[1] = key, ARGV[1] = expected value. Deletes only if the key still holds it (lock release). */
export const DEL_IF_EQUALS_LUA = `
if redis.call('TYPE', KEYS[1])['ok'] == 'string' and redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;
