-- Add to cart, then look at the cart, as anonymous shoppers with their own cookies.
--
-- Run with one connection per wrk thread (-t N -c N): the Lua state of a thread is then
-- one browser, and the cart page can follow that browser's own add. Shoppers come from
-- BENCH_SHOPPERS_FILE ("csrftoken<TAB>form token<TAB>cart cookie"), made by bench/run.py
-- over HTTP before the run (product page for the CSRF cookie and form token, one add
-- for the cart cookie), because wrk shows Lua only the last Set-Cookie of a response and
-- the add answer sets the cart cookie before the messages one.
-- Each shopper adds BENCH_ADDS_PER_SHOPPER random variants, each followed by the cart
-- page (which shows and clears the "Added ..." message), then the next shopper starts.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local common = require("common")

local shoppers, variants
local current, adds, state, messages, sent, started
local adds_per_shopper

setup = common.setup
done = common.done

local function next_shopper()
  current = (current % #shoppers) + 1
  adds = 0
  state = "add"
  messages = nil
end

function init(args)
  common.seed()
  local threads = tonumber(common.env("BENCH_THREADS", "1"))
  adds_per_shopper = tonumber(common.env("BENCH_ADDS_PER_SHOPPER", "3"))
  shoppers = {}
  for index, line in ipairs(common.read_lines(os.getenv("BENCH_SHOPPERS_FILE"))) do
    if (index - 1) % threads == bench_id - 1 then
      local fields = common.split(line, "\t")
      shoppers[#shoppers + 1] = { csrf = fields[1], form = fields[2], cart = fields[3] }
    end
  end
  assert(#shoppers > 0, "no shopper for thread " .. bench_id)
  variants = common.read_lines(os.getenv("BENCH_VARIANTS_FILE"))
  current = 0
  next_shopper()
end

function request()
  local shopper = shoppers[current]
  local cookie = "csrftoken=" .. shopper.csrf .. "; cart=" .. shopper.cart
  sent = state
  started = common.now()
  if state == "add" then
    local body = "csrfmiddlewaretoken=" .. shopper.form .. "&variant="
      .. variants[math.random(#variants)] .. "&quantity=1"
    return wrk.format("POST", "/cart/add/", {
      ["Cookie"] = cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body)
  end
  if messages then
    cookie = cookie .. "; messages=" .. messages
  end
  return wrk.format("GET", "/cart/", { ["Cookie"] = cookie })
end

function response(status, headers, body)
  common.count_status(status)
  local micros = (common.now() - started) * 1e6
  common.sample("all", micros)
  if sent == "add" then
    common.sample("add", micros)
    local location = headers["Location"] or ""
    if status == 302 and location:match("^/products/") then
      common.bump("adds")
    else
      -- A refusal also redirects (to the cart), with an error message for the shopper.
      common.bump("adds_refused")
    end
    local cookie = headers["Set-Cookie"] or ""
    messages = cookie:match("^messages=([^;]+)")
    state = "view"
  else
    common.sample("cart_page", micros)
    if status == 200 then
      common.bump("cart_pages")
    end
    messages = nil
    adds = adds + 1
    if adds >= adds_per_shopper then
      next_shopper()
    else
      state = "add"
    end
  end
end
