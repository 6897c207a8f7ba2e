-- KEYS: pace. ARGV: now, intervalMs, toleranceMs. Returns 0 (slot taken) or the ms to wait (see paceOf).
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if now < tat - tolerance then return math.ceil(tat - tolerance - now) end
-- %.17g keeps every bit of the double, so the arithmetic is the memory store's to the last bit.
redis.call('SET', KEYS[1], string.format('%.17g', math.max(tat, now) + interval), 'PX', 60000)
return 0
