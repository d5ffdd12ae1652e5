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
-- Vectors as runs "<count>*<e1>,...,<ew>;...": decoded into {count, e1, ..., ew} tables.
-- Entries are Lua numbers (doubles), exact while |e| <= 2^53: every sum is checked.
local LIMIT = 9007199254740992
local function runs_decode(key, s)
  local runs, w, total = {}, nil, 0
  for run in string.gmatch(s, '[^;]+') do
    local c, rest = string.match(run, '^(%d+)%*(.+)$')
    local t, ok = {tonumber(c)}, c ~= nil
    local _, commas = string.gsub(rest or '', ',', ',')
    for e in string.gmatch(rest or '', '[^,]+') do
      ok = ok and string.match(e, '^%-?%d+$') ~= nil
      t[#t + 1] = tonumber(e)
    end
    ok = ok and #t == commas + 2 and t[1] >= 1 and (w == nil or #t - 1 == w)
    for i = 1, #t do ok = ok and math.abs(t[i]) <= LIMIT end
    if not ok then return error('cloudqe flush: ' .. key .. ' holds a malformed run: ' .. run) end
    w = #t - 1
    total = total + t[1]
    runs[#runs + 1] = t
  end
  return runs, w, total
end
-- The runs of a + b (same width and length), equal neighbours joined, as text.
local function runs_add(key, a, b)
  local out, i, j, ra, rb, w = {}, 1, 1, a[1][1], b[1][1], #a[1] - 1
  local last
  while i <= #a do
    local n = math.min(ra, rb)
    local t = {n}
    for e = 2, w + 1 do
      local v = a[i][e] + b[j][e]
      if math.abs(v) > LIMIT then return error('cloudqe flush: ' .. key .. ' entry beyond 2^53') end
      t[e] = v
    end
    local same = last ~= nil
    for e = 2, w + 1 do same = same and last[e] == t[e] end
    if same then last[1] = last[1] + n else out[#out + 1] = t; last = t end
    ra, rb = ra - n, rb - n
    if ra == 0 then i = i + 1; ra = a[i] and a[i][1] end
    if rb == 0 then j = j + 1; rb = b[j] and b[j][1] end
  end
  local text = {}
  for k, t in ipairs(out) do
    local s = {}
    for e = 2, w + 1 do s[#s + 1] = string.format('%d', t[e]) end
    text[k] = string.format('%d', t[1]) .. '*' .. table.concat(s, ',')
  end
  return table.concat(text, ';')
end
-- The runs held in field day of key plus the delta d; an error, before anything is
-- written, when either is malformed or they do not cover the same entries.
local function runs_merge(key, day, d)
  local old = redis.call('HGET', key, day)
  local b, wb, nb = runs_decode(key, d)
  if not old then
    if not wb then return error('cloudqe flush: empty runs for ' .. key) end
    return d
  end
  local a, wa, na = runs_decode(key, old)
  if wa ~= wb or na ~= nb or not wa then
    return error('cloudqe flush: runs of ' .. key .. ' do not match its delta')
  end
  return runs_add(key, a, b)
end
-- The number of arguments of a group "<op><n>" after its header.
local function span(op, n)
  if op == 's' then return n end
  if op == 'b' then return 4 * n end
  return 2 * n
end
local merged = {}
-- A group "<op><n>" and its arguments from ARGV[a]; returns the index after them.
local function apply(key, a)
  local op, n = string.sub(ARGV[a], 1, 1), tonumber(string.sub(ARGV[a], 2))
  a = a + 1
  if op == 'h' then
    for i = a, a + 2 * n - 1, 2 do redis.call('HINCRBY', key, ARGV[i], ARGV[i + 1]) end
  elseif op == 'g' or op == 'l' then
    local flag = op == 'g' and 'GT' or 'LT'
    for s = 0, n - 1, 500 do
      local e = math.min(n, s + 500)
      redis.call('ZADD', key, flag, unpack(ARGV, a + 2 * s, a + 2 * e - 1))
    end
  elseif op == 's' then
    for s = 0, n - 1, 1000 do
      redis.call('SADD', key, unpack(ARGV, a + s, a + math.min(n, s + 1000) - 1))
    end
  elseif op == '<' or op == '>' then
    for i = a, a + 2 * n - 1, 2 do register(key, op, ARGV[i], ARGV[i + 1]) end
  elseif op == 'b' then
    -- a dense vector: n "INCRBY i64 #<index> <delta>" quadruples, BITFIELD's own arguments
    -- (wraps like int64), 1,000 per call
    for s = 0, n - 1, 1000 do
      redis.call('BITFIELD', key, unpack(ARGV, a + 4 * s, a + 4 * math.min(n, s + 1000) - 1))
    end
  elseif op == 'r' then
    -- the days of a month: (day, merged runs) pairs, computed by the first pass
    local t = {}
    for i = a, a + 2 * n - 1, 2 do t[#t + 1] = ARGV[i]; t[#t + 1] = merged[key][ARGV[i]] end
    redis.call('HSET', key, unpack(t))
  else
    return error('cloudqe flush: unknown group ' .. ARGV[a - 1])
  end
  return a + span(op, n)
end
-- First the runs, merged without writing: a malformed or too large one stops the flush
-- before its first write.
local a = 6 + span('h', tonumber(string.sub(ARGV[5], 2)))
for k = 4, #KEYS do
  local op, n = string.sub(ARGV[a], 1, 1), tonumber(string.sub(ARGV[a], 2))
  if op == 'r' then
    merged[KEYS[k]] = merged[KEYS[k]] or {}
    for i = a + 1, a + 2 * n, 2 do merged[KEYS[k]][ARGV[i]] = runs_merge(KEYS[k], ARGV[i], ARGV[i + 1]) end
  end
  a = a + 1 + span(op, n)
end
a = apply(KEYS[3], 5)
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
