-- wrk script for bench/load_bench.py: POSTs one JSON body with a bearer token, paced to a
-- fixed request rate, and prints a JSON summary line at the end.
--
-- Environment (read by every wrk thread):
--   CW_TOKEN   bearer token (required)
--   CW_BODY    request body, e.g. {"model":"H100"}
--   CW_RATE    target requests/s for the whole run (0 or unset: no pacing, as fast as it goes)
--   CW_THREADS wrk's -t, to split the rate between threads
--   CW_VARY    if set, a name whose letter case is changed on every request (a new case-sensitive
--              subject each time, the same name to the matcher): CW_BODY is then ignored
--   CW_SALT    a number mixed into the CW_VARY casing so that steps never repeat a subject
--   CW_USAGE   if set to n > 0, every request is n usage records (JSON Lines for POST /usage) with
--              record ids never sent before (thread, request counter, salt): CW_BODY is ignored
--
-- Pacing: the Debian wrk (4.1.0) has no wrk2-style -R. Its delay() hook is asked before every
-- request on every connection; here each thread keeps a schedule of evenly spaced send slots
-- (threads / rate seconds apart) and delay() returns the time to this request's slot. A slot
-- missed because every connection was busy is not caught up later (no bursts); the achieved
-- rate shows it. wrk times a request from its write to its response, so the delay is not in the
-- latency.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } cw_timespec;
  int clock_gettime(int clk_id, cw_timespec *tp);
]]
local ts = ffi.new("cw_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local token = os.getenv("CW_TOKEN") or error("CW_TOKEN is not set")
local body = os.getenv("CW_BODY") or '{"model":"H100"}'
local rate = tonumber(os.getenv("CW_RATE") or "0") or 0
local nthreads = tonumber(os.getenv("CW_THREADS") or "1") or 1
local vary = os.getenv("CW_VARY")
local salt = tonumber(os.getenv("CW_SALT") or "0") or 0
local interval = 0
if rate > 0 then interval = nthreads * 1000.0 / rate end
local next_slot = nil

wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Content-Type"] = "application/json"
wrk.body = body

-- The letters of `vary`, upper or lower case by the bits of n (letters beyond the bits stay).
local function cased(n)
  local out = {}
  for i = 1, #vary do
    local ch = vary:sub(i, i)
    if ch:match("%a") then
      if n % 2 == 1 then ch = ch:upper() else ch = ch:lower() end
      n = math.floor(n / 2)
    end
    out[#out + 1] = ch
  end
  return table.concat(out)
end

if vary then
  local req_template = nil
  function request()
    counter = counter + 1
    -- counter (20 bits, a million requests per thread), thread (2 bits), salt (6 bits)
    local n = counter + tid * 2 ^ 20 + (salt % 64) * 2 ^ 22
    local b = '{"name":"' .. cased(n) .. '"}'
    return wrk.format(nil, nil, nil, b)
  end
end

local usage = tonumber(os.getenv("CW_USAGE") or "0") or 0
if usage > 0 then
  function request()
    counter = counter + 1
    local lines = {}
    for i = 1, usage do
      lines[i] = string.format(
        '{"record_id":"s%d-t%d-r%d-%d","account":"acct-%d","chip_model":"H100 SXM","chips":8,' ..
        '"start":"2026-11-01T00:00:00Z","end":"2026-11-01T01:00:00Z"}',
        salt, tid, counter, i, (counter * usage + i) % 997)
    end
    return wrk.format(nil, nil, nil, table.concat(lines, "\n"))
  end
end

if rate > 0 then
  function delay()
    local t = now_ms()
    if next_slot == nil then
      -- spread the threads' first slots over one interval
      next_slot = t + (tid or 0) * interval / nthreads
    end
    local slot = next_slot
    if slot < t then slot = t end
    next_slot = slot + interval
    return math.floor(slot - t + 0.5)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'CW_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p75_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
