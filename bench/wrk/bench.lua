-- wrk script for bench/run.py: the request to send, and a machine-readable summary.
--
-- The request comes from the environment so that one script serves every endpoint:
--   BENCH_METHOD         GET (default) or POST
--   BENCH_BODY           a JSON request body (sent with Content-Type: application/json)
--   BENCH_AUTHORIZATION  the whole Authorization header value, e.g. "Bearer eyJ..."
--   BENCH_HEADER         one more header, "Name: value" (e.g. If-None-Match: "v2")
--
-- Booking create and enrol need a different request each time (a repeat is a 409):
--   BENCH_PLAN           a booking plan written by bench/seed_venues.py (see
--                        bench/booking_plan.py) or an enrol plan written by
--                        bench/seed_groups.py (bench/enrol_plan.py) or a request plan
--                        written by bench/seed_clinical.py or bench/seed_materials.py
--                        (bench/request_plan.py: path and body per line); each request then
--                        takes the next index, with exactly that module's arithmetic
--   BENCH_PLAN_START     the first index this run may use (run.py moves it on every run)
--   BENCH_THREADS        wrk's -t: thread k uses indices start + k, start + k + threads, ...
--   BENCH_COUNT_STATUS   "1": count the responses by status (costs wrk some CPU per
--                        response, so only where the status is in question)
--
-- done() prints one line, "BENCH_RESULT {json}", with the request count, the run's
-- duration, latency percentiles (microseconds) and wrk's error counters. Responses
-- with a status of 400 or more count in errors_status. With a plan it adds issued_span
-- (the next run starts that many indices later); with BENCH_COUNT_STATUS, statuses.

local method = os.getenv("BENCH_METHOD")
local body = os.getenv("BENCH_BODY")
local authorization = os.getenv("BENCH_AUTHORIZATION")
local extra_header = os.getenv("BENCH_HEADER")
local plan_path = os.getenv("BENCH_PLAN")
local plan_start = tonumber(os.getenv("BENCH_PLAN_START") or "") or 0
local stride = tonumber(os.getenv("BENCH_THREADS") or "") or 1
local count_status = os.getenv("BENCH_COUNT_STATUS") == "1"
local planned = plan_path ~= nil and plan_path ~= ""

wrk.method = (method ~= nil and method ~= "") and method or "GET"
wrk.headers["Accept"] = "application/json"
if planned or (body ~= nil and body ~= "") then
   wrk.headers["Content-Type"] = "application/json"
end
if body ~= nil and body ~= "" then
   wrk.body = body
end
if authorization ~= nil and authorization ~= "" then
   wrk.headers["Authorization"] = authorization
end
if extra_header ~= nil and extra_header ~= "" then
   local name, value = extra_header:match("^([^:]+):%s*(.*)$")
   if name ~= nil then
      wrk.headers[name] = value
   end
end

-- Globals of each thread's Lua state, read back by done() through thread:get().
thread_index = 0
issued = 0
statuses = {}

-- In the main state: every thread, so done() can add their counts up.
local threads = {}

function setup(thread)
   thread:set("thread_index", #threads)
   table.insert(threads, thread)
end

if planned then
   local rooms, dates, slots = {}, {}, {}
   local groups, patients = {}, {}
   local planned_paths, planned_bodies = {}, {}

   function init(args)
      for line in io.lines(plan_path) do
         local kind, value = line:match("^(%a+) (.+)$")
         if kind == "room" then
            rooms[#rooms + 1] = value
         elseif kind == "date" then
            dates[#dates + 1] = value
         elseif kind == "slot" then
            local starts, ends = value:match("^(%S+) (%S+)$")
            slots[#slots + 1] = { starts, ends }
         elseif kind == "group" then
            groups[#groups + 1] = value
         elseif kind == "patient" then
            patients[#patients + 1] = value
         elseif kind == "request" then
            local target, payload = value:match("^(%S+) (%S+)$")
            planned_paths[#planned_paths + 1] = target
            planned_bodies[#planned_bodies + 1] = payload
         end
      end
   end

   function request()
      local index = plan_start + issued * stride + thread_index
      issued = issued + 1
      if #planned_paths > 0 then
         -- A request plan (bench/request_plan.py): line i, from the top again past the end.
         local line = index % #planned_paths + 1
         return wrk.format(nil, planned_paths[line], nil, planned_bodies[line])
      end
      if #patients > 0 then
         -- An enrol plan (bench/enrol_plan.py): patient i into group i mod groups.
         local path = string.format(
            "/api/v1/groups/%s/enrolments", groups[index % #groups + 1])
         local payload = string.format('{"patient_id":"%s"}', patients[index % #patients + 1])
         return wrk.format(nil, path, nil, payload)
      end
      local room = rooms[index % #rooms + 1]
      local rest = math.floor(index / #rooms)
      local slot = slots[rest % #slots + 1]
      local day = dates[math.floor(rest / #slots) % #dates + 1]
      local payload = string.format(
         '{"room_id":"%s","starts_at":"%sT%s","ends_at":"%sT%s","purpose":"Bench course"}',
         room, day, slot[1], day, slot[2])
      return wrk.format(nil, nil, nil, payload)
   end
end

if count_status then
   function response(status, headers, response_body)
      statuses[status] = (statuses[status] or 0) + 1
   end
end

local function extras()
   local span, counted = 0, {}
   for _, thread in ipairs(threads) do
      span = math.max(span, (thread:get("issued") or 0) * stride)
      for status, count in pairs(thread:get("statuses") or {}) do
         counted[status] = (counted[status] or 0) + count
      end
   end
   local parts = {}
   for status, count in pairs(counted) do
      parts[#parts + 1] = string.format("\"%d\":%d", status, count)
   end
   local text = ""
   if planned then
      text = text .. string.format(",\"issued_span\":%.0f", span)
   end
   if count_status then
      text = text .. ",\"statuses\":{" .. table.concat(parts, ",") .. "}"
   end
   return text
end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      "BENCH_RESULT {\"requests\":%.0f,\"duration_us\":%.0f,\"bytes\":%.0f," ..
      "\"p50_us\":%.0f,\"p90_us\":%.0f,\"p99_us\":%.0f,\"max_us\":%.0f,\"mean_us\":%.1f," ..
      "\"errors_connect\":%.0f,\"errors_read\":%.0f,\"errors_write\":%.0f," ..
      "\"errors_status\":%.0f,\"errors_timeout\":%.0f%s}\n",
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0),
      latency.max, latency.mean,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout, extras()))
end
