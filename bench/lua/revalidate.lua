-- Conditional GETs: each line of BENCH_URLS_FILE is "path<TAB>etag", the ETag the server
-- sent for that path just before the run. A path whose answer carried no ETag is asked
-- for without If-None-Match, and the answer (a 200) is counted as such, never as a 304.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")

local started

local entries

setup = common.setup
done = common.done

function init(args)
  common.seed()
  entries = {}
  for _, line in ipairs(common.read_lines(os.getenv("BENCH_URLS_FILE"))) do
    local fields = common.split(line, "\t")
    entries[#entries + 1] = { path = fields[1], etag = fields[2] or "" }
  end
end

function request()
  started = common.now()
  local entry = entries[math.random(#entries)]
  local headers = { ["Accept"] = "application/json" }
  if entry.etag ~= "" then
    headers["If-None-Match"] = entry.etag
  end
  return wrk.format("GET", entry.path, headers)
end

function response(status, headers, body)
  common.count_status(status)
  common.sample("all", (common.now() - started) * 1e6)
end
