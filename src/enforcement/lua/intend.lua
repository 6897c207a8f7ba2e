-- KEYS: ticket, intent, intents. ARGV: room, now.
local t = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], t)
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return t
