-- The output role's lease (docs/outputs.md, "Who emits"): KEYS[1] the lease key,
-- ARGV[1] the candidate holder, ARGV[2] the lease in ms, ARGV[3] "take" or "release".
-- take: the holder (or anyone, when nobody holds it) gets or renews it: 1, else 0.
-- release: deleted when the candidate holds it: 1, else 0.
local cur = redis.call('GET', KEYS[1])
if ARGV[3] == 'release' then
  if cur == ARGV[1] then
    redis.call('DEL', KEYS[1])
    return 1
  end
  return 0
end
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
