-- Shared by the wrk scripts in this folder: loads the id lists written by
-- tools/generate_dataset.py, counts responses per thread, and prints the
-- report (requests/s, p50/p90/p99 latency, non-2xx and socket errors) plus one
-- "BENCH_JSON {...}" line for bench/server_bench.py.
--
-- A script sets `check_body(status, body)` to decide whether a 2xx response
-- is also the right kind of answer (search: a searchset Bundle), so a server
-- that lacks the feature shows as errors, never as speed.

local common = {}

local threads = {}
local next_thread = 0

-- Per-thread counters, read back in done() through thread:get().
responses, non2xx, bad_body, entries = 0, 0, 0, 0

function common.read_ids(path)
  local ids = {}
  local f = io.open(path, "r")
  if not f then
    error("cannot open " .. path .. " (pass the data set's ids/ directory after --)")
  end
  for line in f:lines() do
    if #line > 0 then ids[#ids + 1] = line end
  end
  f:close()
  if #ids == 0 then error(path .. " has no ids") end
  return ids
end

-- Arguments after "--" on the wrk command line: IDS_DIR [BASE_PATH].
function common.parse_args(args)
  local ids_dir = args[1]
  if not ids_dir then
    error("usage: wrk ... -s SCRIPT URL -- IDS_DIR [BASE_PATH (default /fhir)]")
  end
  return ids_dir, args[2] or "/fhir"
end

function common.install(name, check_body)
  function setup(thread)
    next_thread = next_thread + 1
    thread:set("thread_index", next_thread)
    threads[#threads + 1] = thread
  end

  function response(status, headers, body)
    responses = responses + 1
    if status < 200 or status > 299 then
      non2xx = non2xx + 1
    elseif check_body then
      local ok, n = check_body(body)
      if ok then
        entries = entries + (n or 0)
      else
        bad_body = bad_body + 1
      end
    end
  end

  function done(summary, latency, requests)
    local counted, bad_status, bad = 0, 0, 0
    local found = 0
    for _, t in ipairs(threads) do
      counted = counted + t:get("responses")
      bad_status = bad_status + t:get("non2xx")
      bad = bad + t:get("bad_body")
      found = found + t:get("entries")
    end
    local e = summary.errors
    local seconds = summary.duration / 1e6
    local rps = summary.requests / seconds
    local ms = function(p) return latency:percentile(p) / 1000 end
    local good = counted - bad_status - bad
    io.write(string.format("%s: %d requests in %.1f s: %.1f requests/s\n",
                           name, summary.requests, seconds, rps))
    io.write(string.format("%s: latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                           name, ms(50), ms(90), ms(99), latency.max / 1000))
    io.write(string.format("%s: non-2xx responses %d, wrong body %d, socket errors: " ..
                           "connect %d, read %d, write %d, timeout %d\n",
                           name, bad_status, bad, e.connect, e.read, e.write, e.timeout))
    if check_body and good > 0 then
      io.write(string.format("%s: mean entries per good response %.2f\n", name, found / good))
    end
    if bad_status + bad > 0 then
      io.write(string.format("%s: WARNING: %d of %d responses failed; the rate above is " ..
                             "not a measure of the feature\n", name, bad_status + bad, counted))
    end
    io.write(string.format(
      'BENCH_JSON {"name":"%s","requests":%d,"seconds":%.3f,"requests-per-s":%.1f,' ..
      '"p50-ms":%.3f,"p90-ms":%.3f,"p99-ms":%.3f,"max-ms":%.3f,"responses":%d,' ..
      '"good-per-s":%.1f,"non-2xx":%d,"wrong-body":%d,"socket-errors":%d,"mean-entries":%.3f}\n',
      name, summary.requests, seconds, rps, ms(50), ms(90), ms(99), latency.max / 1000,
      counted, good / seconds, bad_status, bad, e.connect + e.read + e.write + e.timeout,
      good > 0 and found / good or 0))
  end
end

return common
