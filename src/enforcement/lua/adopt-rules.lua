-- KEYS: items, force, then the wanted-rules hash of each room. ARGV: now, rules (JSON [[roomKeyIndex, room, user, p, w]]).
local now = tonumber(ARGV[1])
local adopted = 0
for _, r in ipairs(cjson.decode(ARGV[2])) do
  local key = 'u:' .. r[2] .. '\n' .. r[3]
  if r[5] > now and r[4] ~= 0 and redis.call('HEXISTS', KEYS[1], key) == 0 then
    local item = { r = r[2], u = r[3], p = r[4], w = r[5], ap = r[4], au = r[5], k = 1, at = 0, q = now, c = '' }
    redis.call('HSET', KEYS[1], key, cjson.encode(item))
    redis.call('ZADD', KEYS[2], r[5], key)
    redis.call('HSET', KEYS[r[1]], r[3], string.format('%d|%d', r[4], r[5]))
    adopted = adopted + 1
  end
end
return adopted
