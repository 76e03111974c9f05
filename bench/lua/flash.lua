-- Flash sale through the API: buyers, each with its own token, add one unit of the sale
-- variant to their cart and place an order, again and again, before and after it sells
-- out. Run with one connection per wrk thread (-t N -c N) so that a thread's Lua state
-- follows its own buyers' add -> checkout sequence; thread k takes buyers k, k+N, ...
-- of BENCH_BUYERS_FILE (one token per line) and serves them in turn.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")

local tokens, buyer, state, sent, started, sequence
local add_body, checkout_body, run_id

setup = common.setup
done = common.done

function init(args)
  common.seed()
  local threads = tonumber(common.env("BENCH_THREADS", "1"))
  tokens = {}
  for index, token in ipairs(common.read_lines(os.getenv("BENCH_BUYERS_FILE"))) do
    if (index - 1) % threads == bench_id - 1 then
      tokens[#tokens + 1] = token
    end
  end
  assert(#tokens > 0, "no buyer for thread " .. bench_id)
  add_body = string.format('{"variant": %s, "quantity": 1}', os.getenv("BENCH_FLASH_VARIANT"))
  checkout_body = string.format(
    '{"shipping_address": {"full_name": "Bench Buyer", "line1": "1 Load Street", '
      .. '"city": "London", "postal_code": "SW1A 1AA", "country": "GB"}, '
      .. '"shipping_method": %s}',
    os.getenv("BENCH_SHIPPING_METHOD")
  )
  run_id = common.env("BENCH_RUN_ID", "run")
  buyer = 1
  state = "add"
  sequence = 0
end

function request()
  local headers = {
    ["Authorization"] = "Token " .. tokens[buyer],
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }
  sent = state
  started = common.now()
  common.mark_first("first_request", started)
  if state == "add" then
    return wrk.format("POST", "/api/v1/cart/items/", headers, add_body)
  end
  sequence = sequence + 1
  headers["Idempotency-Key"] = string.format("bench-%s-%d-%d", run_id, bench_id, sequence)
  return wrk.format("POST", "/api/v1/checkout/", headers, checkout_body)
end

local function next_buyer()
  buyer = (buyer % #tokens) + 1
  state = "add"
end

local function sold_out(body)
  return body:find("old out", 1, true) or body:find("out_of_stock", 1, true)
    or body:find(" left", 1, true)
end

function response(status, headers, body)
  common.count_status(status)
  local now = common.now()
  local micros = (now - started) * 1e6
  common.sample("all", micros)
  body = body or ""
  if sent == "add" then
    if status == 201 then
      common.bump("adds")
      common.sample("add", micros)
      state = "checkout"
      return
    end
    if (status == 400 or status == 409) and sold_out(body) then
      common.bump("sold_out_adds")
      common.sample("sold_out", micros)
      common.mark_first("first_sold_out", now)
    else
      common.bump("add_other_" .. status)
    end
    next_buyer()
    return
  end
  if status == 201 then
    common.bump("orders")
    common.sample("checkout", micros)
    common.mark_last("last_order", now)
  elseif (status == 400 or status == 409) and sold_out(body) then
    common.bump("sold_out_checkouts")
    common.sample("sold_out", micros)
    common.mark_first("first_sold_out", now)
  else
    common.bump("checkout_other_" .. status)
  end
  next_buyer()
end
