-- scenario: list1000 -- a user's list asking for up to 1,000 tasks (?limit=1000).
-- The project pages (default 100, at most 1,000 per page); the earlier backend ignores
-- the parameter and always returns the whole list. On 1,000 tasks per user both sides
-- then return the same 1,000 rows. Loaded by bench/run.sh --large through a folder of
-- links to the shared harness, so common.lua sits beside this file.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
SCENARIO = "list1000"
request = function()
  local u = users[math.random(NUSERS)]
  return wrk.format("GET", PREFIX .. "/" .. u .. "/tasks?limit=1000", headers_for(u))
end
