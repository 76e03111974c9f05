-- GET a random path from BENCH_URLS_FILE (one path per line, written by bench/run.py
-- from the database): product slugs, category pages, search words, API reads.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")

local paths, started
local headers = {}

setup = common.setup
done = common.done

function init(args)
  common.seed()
  paths = common.read_lines(os.getenv("BENCH_URLS_FILE"))
  local accept = common.env("BENCH_ACCEPT", nil)
  if accept then
    headers["Accept"] = accept
  end
end

function request()
  started = common.now()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end

function response(status, headers, body)
  common.count_status(status)
  common.sample("all", (common.now() - started) * 1e6)
end
