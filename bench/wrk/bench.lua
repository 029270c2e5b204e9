-- wrk script of bench/run: requests cycle through a list of paths (each thread from its own
-- place in it), with an optional JSON body, and the summary is printed as one JSON line.
--
--   wrk -t2 -c32 -d8s -s bench/wrk/bench.lua -H 'Authorization: Bearer …' http://127.0.0.1:PORT \
--       -- PATHS_FILE [METHOD [BODY_FILE]]

local paths = {}
local method = "GET"
local body = nil
local counter = 0
local threads = 0

function setup(thread)
   thread:set("index", threads)
   threads = threads + 1
end

function init(args)
   local file = assert(io.open(args[1], "r"))
   for line in file:lines() do
      if #line > 0 then paths[#paths + 1] = line end
   end
   file:close()
   method = args[2] or "GET"
   if args[3] then
      local b = assert(io.open(args[3], "r"))
      body = b:read("*a")
      b:close()
      wrk.headers["Content-Type"] = "application/json"
   end
   -- Threads start half the list apart, so they do not ask for the same rows at once.
   counter = (index or 0) * math.floor(#paths / 2)
end

function request()
   counter = counter + 1
   return wrk.format(method, paths[(counter % #paths) + 1], nil, body)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH_JSON {\"requests\": %d, \"duration_us\": %d, \"bytes\": %d, \"connect\": %d, \"read\": %d, " ..
      "\"write\": %d, \"status\": %d, \"timeout\": %d, \"p50_us\": %d, \"p90_us\": %d, \"p99_us\": %d, " ..
      "\"max_us\": %d, \"mean_us\": %.1f}\n",
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency.max, latency.mean))
end
