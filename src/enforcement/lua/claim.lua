-- KEYS: due, items, seq. ARGV: lane, max, now, leaseMs, token.
local now = tonumber(ARGV[3])
local max = tonumber(ARGV[2])
local until_ = now + tonumber(ARGV[4])
local ready = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 100)
local act = nil
local room = nil
local out = {}
for _, key in ipairs(ready) do
  if #out >= max then break end
  local j = redis.call('HGET', KEYS[2], key)
  if not j then
    redis.call('ZREM', KEYS[1], key)
  else
    local item = cjson.decode(j)
    if ARGV[1] == 'media' then
      local a = action(item)
      if a == nil then
        redis.call('ZREM', KEYS[1], key)
        if forgettable(item) then redis.call('HDEL', KEYS[2], key) end
      elseif item.s == 1 and #out > 0 then
        -- claimed alone (see settle 'split')
      else
        if act == nil then act = a end
        if a == act then
          item.c = ARGV[5]
          if a == 'forbid' then item.a = 2 else item.a = 3 end
          redis.call('HSET', KEYS[2], key, cjson.encode(item))
          redis.call('ZADD', KEYS[1], until_, key)
          out[#out + 1] = { key, string.sub(key, 3), item.r, item.q, item.at }
          if item.s == 1 then break end
        end
      end
    elseif not (item.s == 1 and #out > 0) then
      if room == nil then room = item.r act = 'kick' end
      if item.r == room then
        item.c = ARGV[5]
        redis.call('HSET', KEYS[2], key, cjson.encode(item))
        redis.call('ZADD', KEYS[1], until_, key)
        out[#out + 1] = { key, item.u, item.r, item.q, item.at }
        if item.s == 1 then break end
      end
    end
  end
end
if #out == 0 then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if first[2] then return { 'none', first[2] } end
  return { 'none' }
end
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local seq = math.max(now, last + 1)
redis.call('SET', KEYS[3], string.format('%d', seq))
return { act, string.format('%d', seq), cjson.encode(out) }
