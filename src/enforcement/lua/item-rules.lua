-- A stream item's next call, and whether it holds anything worth keeping (work-item.ts streamAction and
-- streamForgettable mirror these).
local function action(i)
  if i.b == 1 or (i.d == 1 and i.a ~= 1) then return 'forbid' end
  if i.d == 0 and (i.a == 1 or i.a == 2 or i.a == 3) then return 'resume' end
  return nil
end
local function forgettable(i) return i.d == 0 and i.b == 0 and (i.a == -1 or i.a == 0) end
