-- One decision of the output role, applied whole or not at all (docs/outputs.md,
-- "Delivery"). KEYS[1] the lease key; every other key is "<prefix><name>", prefix =
-- KEYS[1] without its last part "lease" (one hash tag: one Cluster slot).
-- ARGV[1] holder, ARGV[2] token of this decision, ARGV[3] stream MAXLEN, then groups
-- of four: op, a, b, c:
--   cas   <hash> <field> <expected>\0<new> : the field must hold expected ("" = absent),
--                                            then holds new ("" = deleted)
--   set   <key> <value> -                  : SET
--   xadd  <stream> <record> <key>          : XADD stream MAXLEN ~ n * r record k key
--   hset  <hash> <field> <value>           : HSET
-- Returns "ok"; "dup" when the token was applied already (a retried call whose reply
-- was lost); "lost" when the holder no longer holds the lease; "conflict:<field>" when
-- a cas field holds another value (nothing applied).
local prefix = string.sub(KEYS[1], 1, #KEYS[1] - 5)
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 'lost'
end
if redis.call('HGET', prefix .. 'meta', 'token') == ARGV[2] then
  return 'dup'
end
local n = #ARGV
for i = 4, n, 4 do
  if ARGV[i] == 'cas' then
    local sep = string.find(ARGV[i + 3], '\0', 1, true)
    local expected = string.sub(ARGV[i + 3], 1, sep - 1)
    local cur = redis.call('HGET', prefix .. ARGV[i + 1], ARGV[i + 2])
    if (cur or '') ~= expected then
      return 'conflict:' .. ARGV[i + 2]
    end
  end
end
for i = 4, n, 4 do
  local op, a, b, c = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if op == 'cas' then
    local sep = string.find(c, '\0', 1, true)
    local new = string.sub(c, sep + 1)
    if new == '' then
      redis.call('HDEL', prefix .. a, b)
    else
      redis.call('HSET', prefix .. a, b, new)
    end
  elseif op == 'set' then
    redis.call('SET', prefix .. a, b)
  elseif op == 'xadd' then
    redis.call('XADD', prefix .. a, 'MAXLEN', '~', ARGV[3], '*', 'r', b, 'k', c)
  elseif op == 'hset' then
    redis.call('HSET', prefix .. a, b, c)
  end
end
redis.call('HSET', prefix .. 'meta', 'token', ARGV[2])
return 'ok'
