-- Register cells (docs/state.md, "Registers"): keeps, per hash field, the record with the
-- smaller ('<') or larger ('>') (ts, id). Values are "<ts>|<id length>:<id><val>"; ids
-- compare by bytes then length, byte by byte because Lua's '<' on strings follows the locale.
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
for i = 1, #KEYS do
  local op, field, v = ARGV[3*i-2], ARGV[3*i-1], ARGV[3*i]
  local old = redis.call('HGET', KEYS[i], field)
  local keep = true
  if old then
    local t1, id1 = parse(v)
    local t0, id0 = parse(old)
    local c
    if t1 ~= t0 then c = (t1 < t0) and -1 or 1 else c = cmp(id1, id0) end
    if op == '<' then keep = c < 0 else keep = c > 0 end
  end
  if keep then redis.call('HSET', KEYS[i], field, v) end
end
return #KEYS
