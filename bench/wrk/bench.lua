-- wrk script for bench/run.py: the request to send, and a machine-readable summary.
--
-- The request comes from the environment so that one script serves every endpoint:
--   BENCH_METHOD         GET (default) or POST
--   BENCH_BODY           a JSON request body (sent with Content-Type: application/json)
--   BENCH_AUTHORIZATION  the whole Authorization header value, e.g. "Bearer eyJ..."
--
-- done() prints one line, "BENCH_RESULT {json}", with the request count, the run's
-- duration, latency percentiles (microseconds) and wrk's error counters. Responses
-- with a status of 400 or more count in errors_status.

local method = os.getenv("BENCH_METHOD")
local body = os.getenv("BENCH_BODY")
local authorization = os.getenv("BENCH_AUTHORIZATION")

wrk.method = (method ~= nil and method ~= "") and method or "GET"
wrk.headers["Accept"] = "application/json"
if body ~= nil and body ~= "" then
   wrk.body = body
   wrk.headers["Content-Type"] = "application/json"
end
if authorization ~= nil and authorization ~= "" then
   wrk.headers["Authorization"] = authorization
end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      "BENCH_RESULT {\"requests\":%.0f,\"duration_us\":%.0f,\"bytes\":%.0f," ..
      "\"p50_us\":%.0f,\"p90_us\":%.0f,\"p99_us\":%.0f,\"max_us\":%.0f,\"mean_us\":%.1f," ..
      "\"errors_connect\":%.0f,\"errors_read\":%.0f,\"errors_write\":%.0f," ..
      "\"errors_status\":%.0f,\"errors_timeout\":%.0f}\n",
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0),
      latency.max, latency.mean,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
