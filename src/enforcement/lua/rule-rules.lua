-- Lua helpers: rule_action, rule_forgettable, and saving an item with its entry in the in-force set.
local function rule_lifting(i, now) return i.au > now and bit.band(i.ap, bit.bnot(i.p)) ~= 0 end
local function rule_in_force(i, now) return i.ap ~= 0 and i.au > now end
local function rule_action(i, now)
  if rule_lifting(i, now) then return 'del' end
  if i.p ~= 0 and i.w > now and (i.ap ~= i.p or i.au < i.w or i.k == 0) then return 'set' end
  return nil
end
local function rule_forgettable(i, now)
  return rule_action(i, now) == nil and (not rule_in_force(i, now)) and (i.p == 0 or i.w <= now)
end
local function save_rule(itemsKey, forceKey, key, item)
  redis.call('HSET', itemsKey, key, cjson.encode(item))
  if item.ap ~= 0 then redis.call('ZADD', forceKey, item.au, key) else redis.call('ZREM', forceKey, key) end
end
local function forget_rule(itemsKey, forceKey, key)
  redis.call('HDEL', itemsKey, key)
  redis.call('ZREM', forceKey, key)
end
local function touch_rule(itemsKey, forceKey, dueKey, key, item, had, now)
  if rule_action(item, now) then
    if not had then item.q = now end
    save_rule(itemsKey, forceKey, key, item)
    if item.c == '' then
      local cur = redis.call('ZSCORE', dueKey, key)
      if (not cur) or tonumber(cur) > now then redis.call('ZADD', dueKey, now, key) end
    end
  elseif item.c == '' then
    redis.call('ZREM', dueKey, key)
    if rule_forgettable(item, now) then forget_rule(itemsKey, forceKey, key) else save_rule(itemsKey, forceKey, key, item) end
  else
    save_rule(itemsKey, forceKey, key, item)
  end
end
local function apply_rule(itemsKey, forceKey, dueKey, wantedKey, room, user, p, w, now)
  if p == 0 then redis.call('HDEL', wantedKey, user) else redis.call('HSET', wantedKey, user, string.format('%d|%d', p, w)) end
  local key = 'u:' .. room .. '\n' .. user
  local j = redis.call('HGET', itemsKey, key)
  local item
  local had = false
  if j then
    item = cjson.decode(j)
    had = rule_action(item, now) ~= nil
  else
    item = { r = room, u = user, p = 0, w = 0, ap = 0, au = 0, k = 1, at = 0, q = now, c = '' }
  end
  item.p = p
  item.w = w
  touch_rule(itemsKey, forceKey, dueKey, key, item, had, now)
end
