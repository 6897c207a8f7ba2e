-- KEYS: due:rule, items, force. ARGV: now, leaseMs, token, cap, recheckMs. One rule per claim; a set waits while the cap is reached.
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local ready = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 100)
for _, key in ipairs(ready) do
  local j = redis.call('HGET', KEYS[2], key)
  if not j then
    redis.call('ZREM', KEYS[1], key)
  else
    local item = cjson.decode(j)
    local a = rule_action(item, now)
    if a == nil then
      redis.call('ZREM', KEYS[1], key)
      if item.c == '' and rule_forgettable(item, now) then forget_rule(KEYS[2], KEYS[3], key) end
    elseif a == 'set' and (not rule_in_force(item, now)) and redis.call('ZCOUNT', KEYS[3], '(' .. ARGV[1], '+inf') >= tonumber(ARGV[4]) then
      local first = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
      local at = now + tonumber(ARGV[5])
      if first[2] then at = math.max(now + 1, math.min(at, tonumber(first[2]))) end
      redis.call('ZADD', KEYS[1], at, key)
    else
      local out = { key, item.u, item.r, item.q, item.at, 0, 0 }
      if a == 'set' then
        item.ap = item.p
        item.au = item.w
        item.k = 0
        out[6] = item.p
        out[7] = item.w
      end
      item.c = ARGV[3]
      save_rule(KEYS[2], KEYS[3], key, item)
      redis.call('ZADD', KEYS[1], now + lease, key)
      if a == 'set' then return { 'set_rule', cjson.encode(out) } end
      return { 'del_rule', cjson.encode(out) }
    end
  end
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if first[2] then return { 'none', first[2] } end
return { 'none' }
