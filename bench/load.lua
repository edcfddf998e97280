-- wrk script for `make bench` (bench/run.py starts it): every connection cycles through the
-- invoice list and invoice pages as a logged-in user, and done() prints one JSON line.
--
--   WRK_PATHS=file-with-one-path-per-line WRK_COOKIE='encaisse_session=...' \
--     wrk -t2 -c20 -d30s -s bench/load.lua http://127.0.0.1:8000
--
-- Each wrk thread has its own Lua state: the path list is read once per thread, and each
-- thread starts at a different offset so the 20 connections do not march in step.

local paths = {}
local cookie = os.getenv("WRK_COOKIE") or ""
local counter = 0

local file = assert(io.open(os.getenv("WRK_PATHS") or "bench/data/load-paths.txt", "r"))
for line in file:lines() do
  if #line > 0 then paths[#paths + 1] = line end
end
file:close()
assert(#paths > 0, "no paths to request")

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("offset", thread_count * 7919)
end

function init(args)
  counter = (offset or 0) % #paths
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter], { ["Cookie"] = cookie, ["Accept"] = "text/html" })
end

-- No response() callback (it would make wrk parse every body): wrk counts 4xx/5xx answers as
-- status errors, and bench/run.py checks the session before and after the load.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_s": %.3f, "rps": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, ' ..
    '"max_ms": %.2f, "mean_ms": %.2f, "errors_connect": %d, "errors_read": %d, "errors_write": %d, ' ..
    '"errors_status": %d, "errors_timeout": %d, "bytes": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000, e.connect, e.read, e.write, e.status, e.timeout, summary.bytes))
end
