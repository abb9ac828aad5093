-- wrk script: every request is a first check-in of a distinct (activity, member) pair.
--
--   wrk -t2 -c64 -d20s --latency -s checkin.lua http://127.0.0.1:PORT -- REQUEST_PREFIX
--
-- Thread N reads REQUEST_PREFIX-N.txt, one request a line:
--   <path> TAB <access token> TAB <JSON body>
-- run.py writes one file per thread, so no two threads ever send the same pair. A thread
-- that runs out of lines starts over; those repeats answer 409 and show as non-2xx.

local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  local prefix = args[1]
  paths, tokens, bodies = {}, {}, {}
  local file = assert(io.open(prefix .. "-" .. id .. ".txt", "r"))
  for line in file:lines() do
    local path, token, body = line:match("^([^\t]+)\t([^\t]+)\t(.+)$")
    paths[#paths + 1] = path
    tokens[#tokens + 1] = "Bearer " .. token
    bodies[#bodies + 1] = body
  end
  file:close()
  count = #paths
  index = 0
  headers = {["Content-Type"] = "application/json", ["Authorization"] = ""}
end

function request()
  index = index + 1
  if index > count then
    index = 1
  end
  headers["Authorization"] = tokens[index]
  return wrk.format("POST", paths[index], headers, bodies[index])
end

function done(summary, latency, requests)
  io.write(string.format(
    "BENCH_JSON {\"requests\": %d, \"duration_us\": %d, \"status_errors\": %d, " ..
    "\"connect_errors\": %d, \"read_errors\": %d, \"write_errors\": %d, " ..
    "\"timeout_errors\": %d, \"p50_us\": %d, \"p90_us\": %d, \"p99_us\": %d, " ..
    "\"max_us\": %d, \"mean_us\": %.1f}\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
