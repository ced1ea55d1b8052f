-- Counts the answers whose status is not 200 during a wrk run (wrk -s scripts/wrk-status-count.lua).
-- Why it exists: wrk's own "Non-2xx or 3xx responses" counter flags only statuses >= 400, so a
-- run of 202 Accepted answers (a prediction still being computed, not a cache hit) looked like
-- a clean "cached" run in scripts/bench-web.sh. Every wrk run there uses this script and prints
-- "Non-200 responses: N of M".
-- wrk gives each thread its own Lua state: `response` counts into that thread's `statuses`
-- table, `setup` keeps a handle on every thread, and `done` (in the main state) reads each
-- thread's table with thread:get and adds them up.
-- Defining `response` makes wrk keep each answer's headers and body for the callback, a small
-- extra cost on every request (the same for every route measured).

-- With WRK_PATHS=N set, each request asks for one of N paths in turn, WRK_PATH (default
-- "/api/stock/S%d") with %d the path's number: a stream of cold keys (scripts/bench-vendor.sh).

local threads = {}
local paths = tonumber(os.getenv("WRK_PATHS") or "")
local path_format = os.getenv("WRK_PATH") or "/api/stock/S%d"
local sent = 0

if paths then
   -- Threads start at different places in the list so they do not ask for the same key at once.
   function init(args)
      sent = math.random(0, paths - 1)
   end
   function request()
      sent = sent + 1
      return wrk.format(nil, string.format(path_format, sent % paths))
   end
end

function setup(thread)
   table.insert(threads, thread)
end

statuses = {}  -- per thread: status code (as text) -> answers

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
   local totals, answers, other = {}, 0, 0
   for _, thread in ipairs(threads) do
      for key, count in pairs(thread:get("statuses") or {}) do
         totals[key] = (totals[key] or 0) + count
         answers = answers + count
         if key ~= "200" then other = other + count end
      end
   end
   local parts = {}
   for key, count in pairs(totals) do
      if key ~= "200" then table.insert(parts, key .. ": " .. count) end
   end
   table.sort(parts)
   local detail = #parts > 0 and (" (" .. table.concat(parts, ", ") .. ")") or ""
   io.write(string.format("  Non-200 responses: %d of %d%s\n", other, answers, detail))
end
