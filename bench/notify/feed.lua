-- wrk script: GET /api/v1/news/feed as many different members, one token after another.
--
--   wrk -t2 -c32 -d20s --latency -s feed.lua http://127.0.0.1:PORT -- TOKEN_PREFIX
--
-- Thread N reads TOKEN_PREFIX-N.txt, one access token a line (run.py writes them, each
-- thread its own members), and cycles through them.

local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  local prefix = args[1]
  tokens = {}
  local file = assert(io.open(prefix .. "-" .. id .. ".txt", "r"))
  for line in file:lines() do
    tokens[#tokens + 1] = "Bearer " .. line
  end
  file:close()
  count = #tokens
  index = 0
  headers = {["Authorization"] = ""}
end

function request()
  index = index + 1
  if index > count then
    index = 1
  end
  headers["Authorization"] = tokens[index]
  return wrk.format("GET", "/api/v1/news/feed", headers)
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
