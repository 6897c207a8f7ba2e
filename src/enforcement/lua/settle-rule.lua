-- KEYS: due:rule, items, force. ARGV: action, token, outcome, dueMs, now, key.
local now = tonumber(ARGV[5])
local key = ARGV[6]
local j = redis.call('HGET', KEYS[2], key)
if not j then return 0 end
local item = cjson.decode(j)
if item.c ~= ARGV[2] then return 0 end
item.c = ''
if ARGV[3] == 'retry' then
  item.at = item.at + 1
  save_rule(KEYS[2], KEYS[3], key, item)
  redis.call('ZADD', KEYS[1], ARGV[4], key)
  return 1
end
item.at = 0
item.k = 1
if ARGV[3] ~= 'done' or ARGV[1] == 'del_rule' then
  item.ap = 0
  item.au = 0
end
if ARGV[3] ~= 'done' then
  item.p = 0
  item.w = 0
end
if rule_action(item, now) == nil then
  redis.call('ZREM', KEYS[1], key)
  if rule_forgettable(item, now) then forget_rule(KEYS[2], KEYS[3], key) else save_rule(KEYS[2], KEYS[3], key, item) end
else
  save_rule(KEYS[2], KEYS[3], key, item)
  redis.call('ZADD', KEYS[1], now, key)
end
return 1
