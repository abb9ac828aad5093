-- wrk script: heartbeats of many members, each on their own material.
--
--   wrk -t2 -c64 -d30s --latency -s heartbeats.lua http://127.0.0.1:PORT -- REQUEST_PREFIX
--
-- Thread N reads REQUEST_PREFIX-N.txt, one member a line:  <path> TAB <access token>
-- and beats for them in turn, over and over: each member's beats come as far apart as the
-- thread takes to go round its members (10,000 members in all), as a study evening's do.

local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  local prefix = args[1]
  paths, tokens = {}, {}
  local file = assert(io.open(prefix .. "-" .. id .. ".txt", "r"))
  for line in file:lines() do
    local path, token = line:match("^([^\t]+)\t(.+)$")
    paths[#paths + 1] = path
    tokens[#tokens + 1] = "Bearer " .. token
  end
  file:close()
  count = #paths
  index = 0
  headers = {["Content-Type"] = "application/json", ["Authorization"] = ""}
  body = "{\"position_seconds\": 30}"
end

function request()
  index = index + 1
  if index > count then
    index = 1
  end
  headers["Authorization"] = tokens[index]
  return wrk.format("POST", paths[index], headers, body)
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
