-- scenario: list_filtered -- the page the front ends ask for: a user's pending tasks by
-- due date, 20 at a time (?status=pending&sort=due_date&limit=20). The earlier backend
-- has no filters, sorting or paging: it ignores the query string and returns the user's
-- whole list, as it would to those front ends. Loaded by bench/run.sh through a folder of
-- links to the shared harness, so common.lua sits beside this file.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
SCENARIO = "list_filtered"
local QUERY = "?status=pending&sort=due_date&limit=20"
request = function()
  local u = users[math.random(NUSERS)]
  return wrk.format("GET", PREFIX .. "/" .. u .. "/tasks" .. QUERY, headers_for(u))
end
