-- One flush of a partition (docs/state.md, "The flush script"), applied atomically:
-- KEYS[1] position, KEYS[2] duplicate-id chunks, KEYS[3] counts, KEYS[4..] state keys;
-- ARGV: expected position ('' = none), new position, dedup chunk, window, then groups.
-- Returns {0, new} applied; {1, held} an earlier call applied it; {2, held} refused.
local held = redis.call('GET', KEYS[1]) or ''
if held ~= ARGV[1] then
  if held == ARGV[2] then return {1, held} end
  return {2, held}
end
-- Register records "<ts>|<id length>:<id><val>" compare by (ts, id), ids byte by byte
-- (Lua's '<' on strings follows the locale).
local function parse(v)
  local bar = string.find(v, '|', 1, true)
  local colon = string.find(v, ':', bar + 1, true)
  local n = tonumber(string.sub(v, bar + 1, colon - 1))
  return tonumber(string.sub(v, 1, bar - 1)), string.sub(v, colon + 1, colon + n)
end
local function cmp(a, b)
  local la, lb = #a, #b
  local m = la < lb and la or lb
  for i = 1, m do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y and -1 or 1 end
  end
  if la == lb then return 0 end
  return la < lb and -1 or 1
end
local function register(key, op, field, v)
  local old = redis.call('HGET', key, field)
  if old then
    local t1, id1 = parse(v)
    local t0, id0 = parse(old)
    local c
    if t1 ~= t0 then c = (t1 < t0) and -1 or 1 else c = cmp(id1, id0) end
    if (op == '<' and c >= 0) or (op == '>' and c <= 0) then return end
  end
  redis.call('HSET', key, field, v)
end
-- A group "<op><n>" and its arguments from ARGV[a]; returns the index after them.
local function apply(key, a)
  local op, n = string.sub(ARGV[a], 1, 1), tonumber(string.sub(ARGV[a], 2))
  a = a + 1
  if op == 'h' then
    for i = a, a + 2 * n - 1, 2 do redis.call('HINCRBY', key, ARGV[i], ARGV[i + 1]) end
    return a + 2 * n
  elseif op == 'g' or op == 'l' then
    local flag = op == 'g' and 'GT' or 'LT'
    for s = 0, n - 1, 500 do
      local e = math.min(n, s + 500)
      redis.call('ZADD', key, flag, unpack(ARGV, a + 2 * s, a + 2 * e - 1))
    end
    return a + 2 * n
  elseif op == 's' then
    for s = 0, n - 1, 1000 do
      redis.call('SADD', key, unpack(ARGV, a + s, a + math.min(n, s + 1000) - 1))
    end
    return a + n
  elseif op == '<' or op == '>' then
    for i = a, a + 2 * n - 1, 2 do register(key, op, ARGV[i], ARGV[i + 1]) end
    return a + 2 * n
  end
  return error('cloudqe flush: unknown group ' .. ARGV[a - 1])
end
local a = apply(KEYS[3], 5)
for k = 4, #KEYS do a = apply(KEYS[k], a) end
-- The chunk of new fingerprints; whole chunks go once the newer ones hold the window.
if ARGV[3] ~= '' then
  redis.call('RPUSH', KEYS[2], ARGV[3])
  local ids = redis.call('HINCRBY', KEYS[3], 'dedup_ids', #ARGV[3] / 8)
  local window = tonumber(ARGV[4])
  while true do
    local n = #redis.call('LRANGE', KEYS[2], 0, 0)[1] / 8
    if ids - n < window then break end
    redis.call('LTRIM', KEYS[2], 1, -1)
    ids = redis.call('HINCRBY', KEYS[3], 'dedup_ids', -n)
  end
end
redis.call('SET', KEYS[1], ARGV[2])
return {0, ARGV[2]}
