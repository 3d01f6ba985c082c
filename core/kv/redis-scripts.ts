// Lua run inside Redis: the atomic, idempotent batch write (KV.apply); the small scripts are in redis-small-scripts.ts.
// A script runs atomically but Redis does not roll back a script that fails half way, so APPLY first
// checks every op against the key types and field values it will meet (a dry run), and only then writes.
//
// Cost: every redis.call and every Lua step counts (Redis runs one script at a time). A detect-anomaly
// batch is ~600 hash writes over ~15 keys; checked and written one field at a time (HGET + HINCRBY) that
// took ~4 ms of Redis per batch. So hash keys whose ops are plain increments and sets (the usual case;
// encodeOps in redis.ts decides) come as a group: one HMGET reads and checks every field, one HSET writes
// the computed integers and floats, first-writer values and plain sets. Every other key's ops run one by
// one in their original order, as before.
//
// Capped writes (hincrbyCapped, hsetCapped) pick their field by the hash's length at that point of the
// batch. In a group they travel as plain fields of their kind (merged per field: see groupHashOps), after
// every plain field's first write (groupHashOps guarantees it), with the smallest cap of the group. The
// usual case, a hash that stays within that cap even if every field of the group is new (HLEN plus the new
// fields), is a plain group: no capped write can overflow, and it costs what plain increments cost. Only a
// hash near its cap takes the slow path: it decodes the caps, replays the capped writes in order from HLEN
// plus the new plain fields, decides each one's field, checks the values it will meet, and the write phase
// writes those results instead. Ungrouped, the dry run tracks each key's length from the first capped op on
// (HLEN once, then every write), and records the chosen field on the op for the write phase.

/**
 * KEYS: [onceKey?] then the op keys. ARGV[1] = '1' when KEYS[1] is the once key, ARGV[2] = once TTL (ms),
 * ARGV[3] = JSON array of the ungrouped ops `[name, keyIndex, ...args]`, in order; ARGV[4...] = groups
 * (or ARGV[4] = one JSON array of all those strings, see encodeOps in redis-encode.ts), then one blob
 * per ringPush op, in op order (the op holds its ARGV index),
 * each `keyIndex, nInt, nFloat, nNx, nSet, ttlMs|0, nOther, minCap|0`, then the fields (integer increments,
 * float increments, set-if-absent, plain sets; capped fields among them), then their values in the same
 * order, then the nOther otherFields that are not fields of the group, then one JSON array of the capped
 * fields in the order of their first write, `[position, otherField's position, maxFields, otherValue]`
 * (positions 1-based over the fields and then the otherFields; maxFields left out when it is the previous
 * entry's, otherValue for sets only; '' when the group has none): see encodeCaps in redis.ts.
 * Returns 1 if applied, 0 if the once key was already there (nothing written).
 */
export const APPLY_LUA = `
local once = ARGV[1] == '1'
if once and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local ops = cjson.decode(ARGV[3])
-- A ringPush's blob is the ARGV entry its op names, after the groups' arguments.
local nb = 0
for _, op in ipairs(ops) do if op[1] == 'ringPush' then nb = nb + 1 end end
local A, NA = ARGV, #ARGV - nb
-- The groups usually come as one JSON array of those same strings (ARGV[4] starting with '['; a group's
-- first string is a key index): rebuilt here into the flat layout the rest of the script reads.
if NA == 4 and string.byte(ARGV[4], 1) == 91 then
  A = { ARGV[1], ARGV[2], ARGV[3] }
  for j, x in ipairs(cjson.decode(ARGV[4])) do A[j + 3] = x end
  NA = #A
end
local unpack, tonumber = unpack, tonumber

local WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value'
local NOT_INT = 'ERR hash value is not an integer'
local NOT_FLOAT = 'ERR hash value is not a float'
local function isInt(v) return v == '0' or (#v <= 20 and string.match(v, '^%-?[1-9]%d*$') ~= nil) end
local function isDecimal(v) return string.match(v, '^%-?%d*%.?%d+$') ~= nil end
local EXACT = 2 ^ 53

-- A group near its cap: reads its sets and otherFields too, then replays its capped fields in order from
-- the hash's length after the plain fields (len: HLEN before the batch). Per target position: whether it
-- exists, and its result (I: a number, F: the text HINCRBYFLOAT would leave, N/S: the value); slow marks a
-- target leaving the exact range, dest each capped field's target, to replay those for real.
local function replayCapped(g, t, len, base)
  local cur, read = g.cur, g.ni + g.nf + g.nn
  if t == 'hash' then
    local names = {}
    for m = read + 1, base do names[#names + 1] = A[g.f + m - 1] end
    for m = 1, g.no do names[#names + 1] = A[g.o + m - 1] end
    for j = 1, #names, 1000 do
      local got = redis.call('HMGET', g.k, unpack(names, j, math.min(j + 999, #names)))
      for m = 1, #got do cur[read + j + m - 1] = got[m] end
    end
  end
  local caps = cjson.decode(A[g.o + g.no])
  local capped, present, res, slow, dest = {}, {}, {}, {}, {}
  local max = 0
  for _, c in ipairs(caps) do
    capped[c[1]] = true
    max = c[3] or max
    c[3] = max
  end
  for m = 1, base do
    if cur[m] then present[m] = true elseif not capped[m] then len = len + 1 end
  end
  for m = base + 1, base + g.no do present[m] = cur[m] and true or false end
  local nf, nn = g.ni + g.nf, g.ni + g.nf + g.nn
  for e, c in ipairs(caps) do
    local j = c[1]
    local kind = j <= g.ni and 'I' or j <= nf and 'F' or j <= nn and 'N' or 'S'
    local val = A[g.v + j - 1]
    local was = present[j]
    if not was and len >= c[3] and c[2] ~= j then
      j = c[2]
      was = present[j]
      if kind == 'N' or kind == 'S' then val = c[4] end
    end
    dest[e] = j
    local r = res[j]
    if kind == 'I' then
      if r == nil then
        local v = cur[j]
        if v and not isInt(v) then return redis.error_reply(NOT_INT) end
        r = tonumber(v or '0')
      end
      r = r + tonumber(val)
      if r >= EXACT or r <= -EXACT then slow[j] = true end
    elseif kind == 'F' then
      if r == nil then
        r = cur[j] or '0'
        if tonumber(r) == nil then return redis.error_reply(NOT_FLOAT) end
        if not isDecimal(r) then slow[j] = true end
      end
      local x = tonumber(r) + tonumber(val)
      r = x == 0 and '0' or string.format('%.15g', x)
      if not isDecimal(r) then slow[j] = true end
    elseif kind == 'S' or not was then
      r = val
    end
    res[j] = r
    if not was then present[j] = true; len = len + 1 end
  end
  g.caps, g.capped, g.res, g.slow, g.dest = caps, capped, res, slow, dest
end

-- Groups: dry run. One TYPE and one HMGET per key; every integer and float field is checked here.
local groups = {}
local i = 4
while i <= NA do
  local g = { k = KEYS[tonumber(A[i])], ni = tonumber(A[i + 1]), nf = tonumber(A[i + 2]),
    nn = tonumber(A[i + 3]), ns = tonumber(A[i + 4]), ttl = A[i + 5], no = tonumber(A[i + 6]),
    cap = tonumber(A[i + 7]), f = i + 8 }
  local base = g.ni + g.nf + g.nn + g.ns
  g.v = g.f + base
  g.o = g.v + base
  i = g.o + g.no + 1
  local t = redis.call('TYPE', g.k)['ok']
  if t ~= 'hash' and t ~= 'none' then return redis.error_reply(WRONGTYPE) end
  local read = g.ni + g.nf + g.nn
  local cur = {}
  if t == 'hash' and read > 0 then
    for j = 0, read - 1, 1000 do
      local got = redis.call('HMGET', g.k, unpack(A, g.f + j, g.f + math.min(j + 999, read - 1)))
      for m = 1, #got do cur[j + m] = got[m] end
    end
    for m = 1, g.ni do
      local v = cur[m]
      if v and not isInt(v) then return redis.error_reply(NOT_INT) end
    end
    for m = g.ni + 1, g.ni + g.nf do
      local v = cur[m]
      if v and tonumber(v) == nil then return redis.error_reply(NOT_FLOAT) end
    end
  end
  g.cur = cur
  if g.cap > 0 then
    local len = t == 'hash' and redis.call('HLEN', g.k) or 0
    local new = g.ns -- plain sets are not read: counted as new
    for m = 1, read do if not cur[m] then new = new + 1 end end
    if len + new > g.cap then
      local err = replayCapped(g, t, len, base)
      if err then return err end
    end
  end
  groups[#groups + 1] = g
end

-- Ungrouped ops: dry run against the state the earlier ops of the batch leave behind.
local sim = {}
local function state(k)
  local s = sim[k]
  if not s then
    local t = redis.call('TYPE', k)['ok']
    s = { t = t, t0 = t, f = {}, fresh = false }
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
-- The hash's length at this point of the batch. Counted when a capped op first needs it (HLEN, plus the
-- fields this batch already wrote that were not there), then kept up to date by put: plain batches pay nothing.
local function hlen(k, s)
  if s.len == nil then
    local n = 0
    if not s.fresh and s.t0 == 'hash' then n = redis.call('HLEN', k) end
    for name in pairs(s.f) do
      if s.fresh or s.t0 ~= 'hash' or redis.call('HEXISTS', k, name) == 0 then n = n + 1 end
    end
    s.len = n
  end
  return s.len
end
local function put(s, name, value, existed)
  if s.len and not existed then s.len = s.len + 1 end
  s.f[name] = value
end

for _, op in ipairs(ops) do
  local name, k = op[1], KEYS[op[2]]
  local s = state(k)
  if name == 'hincrby' or name == 'hincrbyfloat' then
    if not need(s, 'hash') then return redis.error_reply(WRONGTYPE) end
    local v = field(k, s, op[3])
    if name == 'hincrby' then
      if v ~= nil and not isInt(v) then return redis.error_reply(NOT_INT) end
      put(s, op[3], '0', v ~= nil)
    else
      if v ~= nil and tonumber(v) == nil then return redis.error_reply(NOT_FLOAT) end
      put(s, op[3], '0.0', v ~= nil)
    end
  elseif name == 'hincrbyCapped' or name == 'hsetCapped' then
    -- [name, key, field, by|value, float|nx ('1'/'0'), maxFields, otherField, otherValue]
    if not need(s, 'hash') then return redis.error_reply(WRONGTYPE) end
    local len = hlen(k, s)
    local f, val = op[3], op[4]
    local v = field(k, s, f)
    if v == nil and len >= op[6] and op[7] ~= f then
      f, val = op[7], op[8]
      v = field(k, s, f)
    end
    op.target, op.value = f, val
    if name == 'hsetCapped' then
      if op[5] ~= '1' or v == nil then put(s, f, val, v ~= nil) end
    elseif op[5] == '1' then
      if v ~= nil and tonumber(v) == nil then return redis.error_reply(NOT_FLOAT) end
      put(s, f, '0.0', v ~= nil)
    else
      if v ~= nil and not isInt(v) then return redis.error_reply(NOT_INT) end
      put(s, f, '0', v ~= nil)
    end
  elseif name == 'hset' then
    if not need(s, 'hash') then return redis.error_reply(WRONGTYPE) end
    local fv = op[3]
    for j = 1, #fv, 2 do put(s, fv[j], fv[j + 1], s.len ~= nil and field(k, s, fv[j]) ~= nil) end
  elseif name == 'hsetnx' then
    if not need(s, 'hash') then return redis.error_reply(WRONGTYPE) end
    if field(k, s, op[3]) == nil then put(s, op[3], op[4], false) end
  elseif name == 'lpush' then
    if not need(s, 'list') then return redis.error_reply(WRONGTYPE) end
  elseif name == 'ringPush' then
    -- The ring is a list and its byte total an integer; blobs are plain SETs (any type overwritten).
    if not need(s, 'list') then return redis.error_reply(WRONGTYPE) end
    local bk = k .. ':bytes'
    local b = state(bk)
    if b.t ~= 'none' and b.t ~= 'string' then return redis.error_reply(WRONGTYPE) end
    if b.t == 'string' and not b.fresh then
      local v = redis.call('GET', bk)
      if not isInt(v) then return redis.error_reply('ERR value is not an integer or out of range') end
    end
    b.t, b.fresh = 'string', true
  elseif name == 'set' then
    s.t, s.f, s.fresh, s.len = 'string', {}, true, nil
  elseif name == 'del' then
    s.t, s.f, s.fresh, s.len = 'none', {}, true, 0
  end
end

if once then redis.call('SET', KEYS[1], '1', 'PX', ARGV[2]) end

-- Groups: write. Integers are computed here while exact in a Lua number (2^53), else left to HINCRBY.
-- Floats are added here and written with 15 significant digits, exactly as the embedded store formats
-- them (formatFloat in write-ops.ts); outside plain decimal notation (|x| >= 1e15, < 1e-4, inf) they are
-- left to HINCRBYFLOAT. A capped target's increments are folded the same way, step by step; a target
-- that leaves that range on any step gets all its increments as real HINCRBY/HINCRBYFLOAT calls.
for _, g in ipairs(groups) do
  local k, f, v, cur = g.k, g.f, g.v, g.cur
  -- Near its cap, the capped fields' results come from replayCapped instead.
  local skip = g.capped or {}
  local out, slow = {}, {}
  for m = 0, g.ni - 1 do
    if not skip[m + 1] then
      local n = tonumber(cur[m + 1] or '0')
      local r = n + tonumber(A[v + m])
      if n < EXACT and n > -EXACT and r < EXACT and r > -EXACT then
        out[#out + 1] = A[f + m]
        out[#out + 1] = string.format('%d', r)
      else
        slow[#slow + 1] = m
      end
    end
  end
  for m = g.ni + g.nf, g.ni + g.nf + g.nn - 1 do
    if not cur[m + 1] and not skip[m + 1] then
      out[#out + 1] = A[f + m]
      out[#out + 1] = A[v + m]
    end
  end
  for m = g.ni + g.nf + g.nn, g.ni + g.nf + g.nn + g.ns - 1 do
    if not skip[m + 1] then
      out[#out + 1] = A[f + m]
      out[#out + 1] = A[v + m]
    end
  end
  local slowFloat = {}
  for m = g.ni, g.ni + g.nf - 1 do
    if not skip[m + 1] then
      local c = cur[m + 1] or '0'
      local r = tonumber(c) + tonumber(A[v + m])
      local txt = r == 0 and '0' or string.format('%.15g', r)
      if string.match(c, '^%-?%d*%.?%d+$') and string.match(txt, '^%-?%d*%.?%d+$') then
        out[#out + 1] = A[f + m]
        out[#out + 1] = txt
      else
        slowFloat[#slowFloat + 1] = m
      end
    end
  end
  local base = g.ni + g.nf + g.nn + g.ns
  local function name(j) return j <= base and A[f + j - 1] or A[g.o + j - base - 1] end
  for j, r in pairs(g.res or {}) do
    if not g.slow[j] then
      out[#out + 1] = name(j)
      out[#out + 1] = type(r) == 'number' and string.format('%d', r) or r
    end
  end
  for j = 1, #out, 1000 do redis.call('HSET', k, unpack(out, j, math.min(j + 999, #out))) end
  for _, m in ipairs(slow) do redis.call('HINCRBY', k, A[f + m], A[v + m]) end
  for _, m in ipairs(slowFloat) do redis.call('HINCRBYFLOAT', k, A[f + m], A[v + m]) end
  -- Capped targets outside the exact range: their increments again, in order, as real commands.
  for e, c in ipairs(g.caps or {}) do
    local j = g.dest[e]
    if g.slow[j] then
      redis.call(c[1] <= g.ni and 'HINCRBY' or 'HINCRBYFLOAT', k, name(j), A[v + c[1] - 1])
    end
  end
  if g.ttl ~= '0' then redis.call('PEXPIRE', k, g.ttl) end
end

for _, op in ipairs(ops) do
  local name, k = op[1], KEYS[op[2]]
  if name == 'hincrby' then
    redis.call('HINCRBY', k, op[3], op[4])
  elseif name == 'hincrbyfloat' then
    redis.call('HINCRBYFLOAT', k, op[3], op[4])
  elseif name == 'hset' then
    local fv = op[3]
    for j = 1, #fv, 1000 do
      redis.call('HSET', k, unpack(fv, j, math.min(j + 999, #fv)))
    end
  elseif name == 'hsetnx' then
    redis.call('HSETNX', k, op[3], op[4])
  elseif name == 'hincrbyCapped' then
    redis.call(op[5] == '1' and 'HINCRBYFLOAT' or 'HINCRBY', k, op.target, op.value)
  elseif name == 'hsetCapped' then
    redis.call(op[5] == '1' and 'HSETNX' or 'HSET', k, op.target, op.value)
  elseif name == 'set' then
    if op[4] > 0 then redis.call('SET', k, op[3], 'PX', op[4]) else redis.call('SET', k, op[3]) end
  elseif name == 'lpush' then
    local vals = op[3]
    for j = 1, #vals, 1000 do
      redis.call('LPUSH', k, unpack(vals, j, math.min(j + 999, #vals)))
    end
    redis.call('LTRIM', k, 0, op[4] - 1)
  elseif name == 'expire' then
    redis.call('PEXPIRE', k, op[3])
  elseif name == 'ringPush' then
    -- [name, key, id, blob's ARGV index, entry ('bytes\tid\tmeta', built by ringEntry), maxBytes, maxItems, ttlMs]
    local entry, ttl = op[5], op[8]
    local bk = k .. ':bytes'
    redis.call('SET', k .. ':' .. op[3], ARGV[op[4]], 'PX', ttl)
    local n = redis.call('LPUSH', k, entry)
    local total = redis.call('INCRBY', bk, tonumber(string.match(entry, '^%d+')))
    while n > 1 and (total > op[6] or n > op[7]) do
      local old = redis.call('RPOP', k)
      local size, id = string.match(old, '^(%d+)\t([^\t]*)\t')
      if id then
        redis.call('DEL', k .. ':' .. id)
        total = redis.call('DECRBY', bk, size)
      end
      n = n - 1
    end
    redis.call('PEXPIRE', k, ttl)
    redis.call('PEXPIRE', bk, ttl)
  elseif name == 'del' then
    redis.call('DEL', k)
  end
end
return 1
`;
