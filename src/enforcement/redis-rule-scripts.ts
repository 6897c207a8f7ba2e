// Lua for the user-rule lane of the Redis enforcement store. The rules mirror rule-item.ts and memory-rules.ts.

/** Lua helpers: rule_action, rule_forgettable, and saving an item with its entry in the in-force set. */
export const RULE_RULES = `
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
  local key = 'u:' .. room .. '\\n' .. user
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
`;

/** KEYS: due:rule, items, force. ARGV: now, leaseMs, token, cap, recheckMs. One rule per claim; a set waits while the cap is reached. */
export const CLAIM_RULE = `${RULE_RULES}
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
`;

/** KEYS: due:rule, items, force. ARGV: action, token, outcome, dueMs, now, key. */
export const SETTLE_RULE = `${RULE_RULES}
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
`;

/** KEYS: items, force, then the wanted-rules hash of each room. ARGV: now, rules (JSON [[roomKeyIndex, room, user, p, w]]). */
export const ADOPT_RULES = `
local now = tonumber(ARGV[1])
local adopted = 0
for _, r in ipairs(cjson.decode(ARGV[2])) do
  local key = 'u:' .. r[2] .. '\\n' .. r[3]
  if r[5] > now and r[4] ~= 0 and redis.call('HEXISTS', KEYS[1], key) == 0 then
    local item = { r = r[2], u = r[3], p = r[4], w = r[5], ap = r[4], au = r[5], k = 1, at = 0, q = now, c = '' }
    redis.call('HSET', KEYS[1], key, cjson.encode(item))
    redis.call('ZADD', KEYS[2], r[5], key)
    redis.call('HSET', KEYS[r[1]], r[3], string.format('%d|%d', r[4], r[5]))
    adopted = adopted + 1
  end
end
return adopted
`;
