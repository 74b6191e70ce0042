-- scenario: hot_client -- one busy client: every connection sends one user's token (the
-- first user of the ids file, or HOT_USER) and gets that user's tasks, so the per-user
-- throttle counts every request against one budget. bench/run.sh serves the project with
-- a user rate above what the run can send (BENCH_USER_RATE), so that it stays 0 non-2xx
-- while the throttle's cost for a client near its limit shows. The earlier backend has
-- no throttle; it gets the same requests. Loaded through the same folder of links as
-- list1000.lua.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
SCENARIO = "hot_client"
local hot = os.getenv("HOT_USER")
if not hot or hot == "" then hot = users[1] end
local hot_tasks = {}
for i = 1, NTASKS do
  if task_user[i] == hot then hot_tasks[#hot_tasks + 1] = task_id[i] end
end
if #hot_tasks == 0 then error("no tasks of user " .. hot .. " in the ids file") end
local path = PREFIX .. "/" .. hot .. "/tasks/"
request = function()
  return wrk.format("GET", path .. hot_tasks[math.random(#hot_tasks)], headers_for(hot))
end
