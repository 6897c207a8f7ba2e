-- KEYS: rec, banned, live, items, due:media, due:room, intent, intents, rules (the room's wanted rules),
-- due:rule, force (rules in force), named. ARGV: rev, version, allowed, any, now, ticket, room, ops.
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
if rev ~= tonumber(ARGV[1]) then return 0 end
local oldAllowed = cjson.decode(redis.call('HGET', KEYS[1], 'allowed') or '[]')
redis.call('HSET', KEYS[1], 'rev', rev + 1, 'ver', ARGV[2], 'allowed', ARGV[3], 'any', ARGV[4])
local now = tonumber(ARGV[5])
local room = ARGV[7]
local ops = cjson.decode(ARGV[8])
local function schedule(dueKey, key, at)
  local cur = redis.call('ZSCORE', dueKey, key)
  if (not cur) or tonumber(cur) > at then redis.call('ZADD', dueKey, at, key) end
end
local function load(key)
  local j = redis.call('HGET', KEYS[4], key)
  if j then return cjson.decode(j) end
  return nil
end
local function touch(key, item, had)
  if action(item) then
    if not had then item.q = now end
    redis.call('HSET', KEYS[4], key, cjson.encode(item))
    if item.c == '' then schedule(KEYS[5], key, now) end
  elseif item.c == '' then
    redis.call('ZREM', KEYS[5], key)
    if forgettable(item) then redis.call('HDEL', KEYS[4], key) else redis.call('HSET', KEYS[4], key, cjson.encode(item)) end
  else
    redis.call('HSET', KEYS[4], key, cjson.encode(item))
  end
end
local function fresh() return { r = room, d = 0, a = -1, b = 0, at = 0, q = now, c = '' } end
-- Sets a stream's wanted ban ('d') or one-off forbid ('b') for this room.
local function mark(s, field)
  local key = 's:' .. s
  local item = load(key)
  local had = false
  if item then had = action(item) ~= nil else item = fresh() end
  item.r = room
  item[field] = 1
  touch(key, item, had)
end
-- Stream IDs named by some room's allow-list (count of rooms): such an ID belongs to that room, and
-- another room never bans it (memory-store.ts namedBy mirrors this).
local wasNamed = {}
for _, x in ipairs(oldAllowed) do wasNamed[x] = true end
local isNamed = {}
for _, x in ipairs(cjson.decode(ARGV[3])) do isNamed[x] = true end
for x in pairs(wasNamed) do
  if not isNamed[x] and redis.call('HINCRBY', KEYS[12], x, -1) <= 0 then redis.call('HDEL', KEYS[12], x) end
end
for x in pairs(isNamed) do
  if not wasNamed[x] then
    redis.call('HINCRBY', KEYS[12], x, 1)
    local item = load('s:' .. x)
    if item and item.d == 1 then
      local had = action(item) ~= nil
      item.d = 0
      touch('s:' .. x, item, had)
    end
  end
end
for _, b in ipairs(ops.ban) do
  if tonumber(redis.call('HGET', KEYS[12], b[1]) or '0') > 0 then
    if b[2] ~= '' then mark(b[1], 'b') end
  else
    redis.call('HSET', KEYS[2], b[1], b[2])
    mark(b[1], 'd')
  end
end
for _, s in ipairs(ops.unban) do
  redis.call('HDEL', KEYS[2], s)
  local key = 's:' .. s
  local item = load(key)
  if item then
    local had = action(item) ~= nil
    item.d = 0
    touch(key, item, had)
  end
end
for _, s in ipairs(ops.bounce) do mark(s, 'b') end
for _, s in ipairs(ops.drop) do redis.call('HDEL', KEYS[3], s) end
for _, k in ipairs(ops.kick) do queue_kick(KEYS[4], KEYS[6], room, k[1], k[2], now) end
for _, r in ipairs(ops.rules) do apply_rule(KEYS[4], KEYS[11], KEYS[10], KEYS[9], room, r[1], r[2], r[3], now) end
if ARGV[6] ~= '' and redis.call('HGET', KEYS[7], room) == ARGV[6] then
  redis.call('HDEL', KEYS[7], room)
  redis.call('ZREM', KEYS[8], room)
end
return 1
