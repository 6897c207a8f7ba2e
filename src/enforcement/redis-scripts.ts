// Lua for the Redis enforcement store. The item rules mirror work-item.ts (streamAction, streamForgettable).
import { RULE_RULES } from "./redis-rule-scripts.js";

const ITEM_RULES = `
local function action(i)
  if i.b == 1 or (i.d == 1 and i.a ~= 1) then return 'forbid' end
  if i.d == 0 and (i.a == 1 or i.a == 2 or i.a == 3) then return 'resume' end
  return nil
end
local function forgettable(i) return i.d == 0 and i.b == 0 and (i.a == -1 or i.a == 0) end
`;

// A pending kick (memory-store queueKicks): created once, scheduled unless leased.
const KICK_RULES = `
local function queue_kick(itemsKey, dueKey, room, user, why, now)
  local key = 'k:' .. room .. '\\n' .. user
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
`;

/**
 * KEYS: rec, banned, live, items, due:media, due:room, intent, intents, rules (the room's wanted rules),
 * due:rule, force (rules in force), named. ARGV: rev, version, allowed, any, now, ticket, room, ops.
 */
export const COMMIT = `${ITEM_RULES}${KICK_RULES}${RULE_RULES}
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
`;

/** KEYS: items, due:room. ARGV: room, now, kicks (JSON [[user, why]]). */
export const ENQUEUE_KICKS = `${KICK_RULES}
for _, k in ipairs(cjson.decode(ARGV[3])) do queue_kick(KEYS[1], KEYS[2], ARGV[1], k[1], k[2], tonumber(ARGV[2])) end
return 1
`;

/** KEYS: replay, live, closed, rec. ARGV: kind, stream, user, atMs, now, replayTtlMs, closedTtlMs. */
export const RECORD_STREAM = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[6]) then return 0 end
local at = tonumber(ARGV[4])
if ARGV[1] == 'create' then
  local c = redis.call('HGET', KEYS[3], ARGV[2])
  if (not c) or tonumber(c) < at then redis.call('HSET', KEYS[2], ARGV[2], ARGV[4] .. '|' .. ARGV[3]) end
else
  local cur = redis.call('HGET', KEYS[2], ARGV[2])
  if cur then
    local since = tonumber(string.match(cur, '^(%d+)|'))
    if since <= at then redis.call('HDEL', KEYS[2], ARGV[2]) end
  end
  redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
  local limit = tonumber(ARGV[5]) - tonumber(ARGV[7])
  local all = redis.call('HGETALL', KEYS[3])
  for i = 1, #all, 2 do
    if tonumber(all[i + 1]) < limit then redis.call('HDEL', KEYS[3], all[i]) end
  end
end
redis.call('HINCRBY', KEYS[4], 'rev', 1)
return 1
`;

/** KEYS: due, items, seq. ARGV: lane, max, now, leaseMs, token. */
export const CLAIM = `${ITEM_RULES}
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
`;

/** KEYS: due, items. ARGV: lane, action, token, outcome, dueMs, now, keys (JSON). */
export const SETTLE = `${ITEM_RULES}
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
`;

/** KEYS: pace. ARGV: now, intervalMs, toleranceMs. Returns 0 (slot taken) or the ms to wait (see paceOf). */
export const ACQUIRE = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < tat - tolerance then return math.ceil(tat - tolerance - now) end
-- %.17g keeps every bit of the double, so the arithmetic is the memory store's to the last bit.
redis.call('SET', KEYS[1], string.format('%.17g', math.max(tat, now) + interval), 'PX', 60000)
return 0
`;

/** KEYS: ticket, intent, intents. ARGV: room, now. */
export const INTEND = `
local t = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], t)
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return t
`;
