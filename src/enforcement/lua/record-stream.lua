-- KEYS: replay, live, closed, rec. ARGV: kind, stream, user, atMs, now, replayTtlMs, closedTtlMs.
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[6]) then return 0 end
local at = tonumber(ARGV[4])
if ARGV[1] == 'create' then
  local c = redis.call('HGET', KEYS[3], ARGV[2])
  if (not c) or tonumber(c) < at then redis.call('HSET', KEYS[2], ARGV[2], ARGV[4] .. '|' .. ARGV[3]) end
else
  local cur = redis.call('HGET', KEYS[2], ARGV[2])
  if cur then
    local since = tonumber(string.match(cur, '^(%d+)|'))
    if since <= at then redis.call('HDEL', KEYS[2], ARGV[2]) end
  end
  redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
  local limit = tonumber(ARGV[5]) - tonumber(ARGV[7])
  local all = redis.call('HGETALL', KEYS[3])
  for i = 1, #all, 2 do
    if tonumber(all[i + 1]) < limit then redis.call('HDEL', KEYS[3], all[i]) end
  end
end
redis.call('HINCRBY', KEYS[4], 'rev', 1)
return 1
