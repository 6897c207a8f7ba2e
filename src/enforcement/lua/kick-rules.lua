-- A pending kick (memory-store queueKicks): created once, scheduled unless leased.
local function queue_kick(itemsKey, dueKey, room, user, why, now)
  local key = 'k:' .. room .. '\n' .. user
  local j = redis.call('HGET', itemsKey, key)
  local item
  if j then item = cjson.decode(j) else
    item = { r = room, u = user, why = why, at = 0, q = now, c = '' }
    redis.call('HSET', itemsKey, key, cjson.encode(item))
  end
  if item.c == '' then
    local cur = redis.call('ZSCORE', dueKey, key)
    if (not cur) or tonumber(cur) > now then redis.call('ZADD', dueKey, now, key) end
  end
end
