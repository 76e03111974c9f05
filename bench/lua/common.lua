-- Shared by the bench scripts: input files, status counts per thread, and one JSON line
-- of results from done() that bench/run.py parses ("BENCH_RESULT {...}").
--
-- wrk runs setup() and done() in its main Lua state and every other hook in one Lua
-- state per thread, so counters live in globals of the thread states and done() reads
-- them back with thread:get().
--
-- bench/run.py gives every wrk thread exactly one connection, so a thread's request()
-- and response() alternate and the scripts can time each request themselves. They must:
-- gunicorn's sync workers close the connection after every answer, and wrk's own latency
-- histogram is wrong on reconnecting connections (it reports seconds where the answers
-- took milliseconds).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]

local M = {}
local threads = {}
local timespec = ffi.new("bench_timespec")

-- Wall-clock seconds (CLOCK_REALTIME), comparable with the orchestrator's time.time().
function M.now()
  ffi.C.clock_gettime(0, timespec)
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) / 1e9
end

function M.env(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then
    return default
  end
  return value
end

function M.read_lines(path)
  local lines = {}
  local file = assert(io.open(path, "r"), "cannot open " .. path)
  for line in file:lines() do
    if line ~= "" then
      lines[#lines + 1] = line
    end
  end
  file:close()
  assert(#lines > 0, path .. " is empty")
  return lines
end

function M.split(line, sep)
  local fields = {}
  for field in (line .. sep):gmatch("(.-)" .. sep) do
    fields[#fields + 1] = field
  end
  return fields
end

-- Globals of each thread state, read back by done(). Only flat tables: wrk's
-- thread:get() crashes copying a table that holds tables.
bench_status = {}
bench_extra = {}
local samples_file

function M.count_status(status)
  local key = tostring(status)
  bench_status[key] = (bench_status[key] or 0) + 1
end

function M.bump(name, by)
  bench_extra[name] = (bench_extra[name] or 0) + (by or 1)
end

-- Earliest and latest wall-clock times of an event, e.g. the first sold-out answer.
function M.mark_first(name, t)
  if bench_extra[name] == nil or t < bench_extra[name] then
    bench_extra[name] = t
  end
end

function M.mark_last(name, t)
  if bench_extra[name] == nil or t > bench_extra[name] then
    bench_extra[name] = t
  end
end

-- Latency of one answer of a class, in microseconds, when wrk's own histogram (all
-- requests together) is not enough: a line "class micros" in a file per thread under
-- BENCH_SAMPLES_DIR, which bench/run.py reads once wrk has exited.
function M.sample(name, micros)
  if samples_file == nil then
    local dir = assert(os.getenv("BENCH_SAMPLES_DIR"), "BENCH_SAMPLES_DIR is not set")
    samples_file = assert(io.open(string.format("%s/thread-%d.txt", dir, bench_id), "w"))
  end
  samples_file:write(name, " ", string.format("%d", micros), "\n")
end

function M.setup(thread)
  threads[#threads + 1] = thread
  thread:set("bench_id", #threads)
end

-- Seeds each thread differently, so threads do not walk the same URLs in step.
function M.seed()
  math.randomseed(math.floor(M.now() * 1000) % 2147483647 + (bench_id or 0) * 7919)
  for _ = 1, 10 do
    math.random()
  end
end

local function encode(value)
  local kind = type(value)
  if kind == "table" then
    local parts = {}
    if #value > 0 then
      for _, item in ipairs(value) do
        parts[#parts + 1] = encode(item)
      end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for key, item in pairs(value) do
      parts[#parts + 1] = string.format("%q", tostring(key)) .. ":" .. encode(item)
    end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif kind == "string" then
    return string.format("%q", value)
  elseif kind == "number" then
    if value ~= value or value == math.huge or value == -math.huge then
      return "null"
    end
    return string.format("%.6f", value)
  elseif kind == "boolean" then
    return tostring(value)
  end
  return "null"
end

function M.done(summary, latency, requests)
  local statuses, extra = {}, {}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("bench_status") or {}) do
      statuses[key] = (statuses[key] or 0) + count
    end
    for key, value in pairs(thread:get("bench_extra") or {}) do
      if key:match("^first_") then
        if extra[key] == nil or value < extra[key] then
          extra[key] = value
        end
      elseif key:match("^last_") then
        if extra[key] == nil or value > extra[key] then
          extra[key] = value
        end
      else
        extra[key] = (extra[key] or 0) + value
      end
    end
  end
  local result = {
    requests = summary.requests,
    duration_us = summary.duration,
    bytes = summary.bytes,
    errors = summary.errors,
    latency = {
      p50_us = latency:percentile(50),
      p90_us = latency:percentile(90),
      p99_us = latency:percentile(99),
      max_us = latency.max,
      mean_us = latency.mean,
    },
    statuses = statuses,
    extra = extra,
  }
  io.write("BENCH_RESULT ", encode(result), "\n")
end

return M
