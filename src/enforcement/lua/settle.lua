-- KEYS: due, items. ARGV: lane, action, token, outcome, dueMs, now, keys (JSON).
local now = tonumber(ARGV[6])
for _, key in ipairs(cjson.decode(ARGV[7])) do
  local j = redis.call('HGET', KEYS[2], key)
  if j then
    local item = cjson.decode(j)
    if item.c == ARGV[3] then
      if ARGV[4] == 'retry' then
        item.c = ''
        item.at = item.at + 1
        redis.call('HSET', KEYS[2], key, cjson.encode(item))
        redis.call('ZADD', KEYS[1], ARGV[5], key)
      elseif ARGV[4] == 'split' then
        item.c = ''
        item.s = 1
        redis.call('HSET', KEYS[2], key, cjson.encode(item))
        redis.call('ZADD', KEYS[1], now, key)
      elseif ARGV[4] == 'drop' or ARGV[1] == 'room' then
        redis.call('HDEL', KEYS[2], key)
        redis.call('ZREM', KEYS[1], key)
      else
        if ARGV[2] == 'forbid' then
          item.a = 1
          item.b = 0
        else
          item.a = 0
        end
        item.c = ''
        item.at = 0
        item.s = 0
        if action(item) == nil then
          redis.call('ZREM', KEYS[1], key)
          if forgettable(item) then redis.call('HDEL', KEYS[2], key) else redis.call('HSET', KEYS[2], key, cjson.encode(item)) end
        else
          redis.call('HSET', KEYS[2], key, cjson.encode(item))
          redis.call('ZADD', KEYS[1], now, key)
        end
      end
    end
  end
end
return 1
