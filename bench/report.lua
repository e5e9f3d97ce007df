-- wrk script for bench/run.py: sets the request from the environment and, when the
-- run ends, prints one JSON line with throughput, latency percentiles and errors.
--
-- Why a response() hook: wrk's own "status" error counts only >= 400; the bench
-- treats every non-2xx (redirects included) as an error, so each thread counts
-- them itself and done() adds the threads' counters up.

local method = os.getenv("BENCH_METHOD")
if method and method ~= "" then
  wrk.method = method
end
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

local function ms(microseconds)
  return microseconds / 1000.0
end

function done(summary, latency, requests)
  local bad_status = 0
  for _, thread in ipairs(threads) do
    bad_status = bad_status + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + bad_status
  local seconds = summary.duration / 1000000.0
  io.write(string.format(
    '{"requests_per_s": %.2f, "latency_ms": {"p50": %.3f, "p90": %.3f, "p99": %.3f, "mean": %.3f, "max": %.3f}, '
      .. '"requests": %d, "duration_s": %.3f, "bytes": %d, "errors": %d, '
      .. '"error_detail": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "non_2xx": %d}}\n',
    summary.requests / seconds,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
    ms(latency.mean), ms(latency.max),
    summary.requests, seconds, summary.bytes, errors,
    e.connect, e.read, e.write, e.timeout, bad_status
  ))
end
