-- KEYS: items, due:room. ARGV: room, now, kicks (JSON [[user, why]]).
for _, k in ipairs(cjson.decode(ARGV[3])) do queue_kick(KEYS[1], KEYS[2], ARGV[1], k[1], k[2], tonumber(ARGV[2])) end
return 1
