"""The waiting-room flash sale (scenario `room`): a crowd far larger than the room.

prepare.py room-setup (bench/roomdb.py) makes a sale of one new variant with units set
aside, a per-customer limit and a waiting room of BENCH_ROOM_CAPACITY, and one account
with a token per shopper. Then, at once:

- the driver below plays BENCH_ROOM_SHOPPERS shoppers arriving over BENCH_ROOM_ARRIVAL
  seconds. Each adds the variant to their cart through the API, waits on 429 (the room's
  Retry-After, capped at RETRY_CAP s) and asks again, then checks out with an
  Idempotency-Key. One in ten asks for 3 units (over the limit of 2: checkout must refuse,
  then it lowers the line to 2), one in ten buys 1 and comes back for 2 more (refused,
  lowered to 1). Once some answer shows the sale's units gone, a shopper still in line
  leaves at its next turn. Requests are steps of a schedule run by at most THREADS
  threads, so a thousand waiting shoppers need no thousand threads; all to 127.0.0.1.
- wrk reads cached product pages outside the sale (the product scenario's list, warmed
  again once the sale is live), until the driver is done.

room-verify then counts from the database what the sale sold and ends the sale.
"""

from __future__ import annotations

import collections
import heapq
import http.client
import json
import math
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from dataprep import warm_up, warmed_lines
from processes import Processes, last_json, run
from scenarios import Scenario, settle, wrk
from settings import DATA, HOST, Config, django_env, log

THREADS = 64
RETRY_CAP = 30.0
REQUEST_TIMEOUT = 30.0
ADDRESS = {"full_name": "Bench Shopper", "line1": "1 Queue Street", "city": "London",
           "postal_code": "SW1A 1AA", "country": "GB"}  # fmt: skip


@dataclass
class Shopper:
    index: int
    token: str
    # "one" buys 1; "over" asks for 3 at once; "twice" buys 1, then comes back for 2.
    kind: str
    step: str = "add"
    quantity: int = 1
    attempt: int = 1
    key: str = ""
    line: int | None = None
    # Seconds since the driver started: when each attempt's first add was sent, and the
    # add that got in (both send times, so the room's answer time does not count).
    arrived: list[float] = field(default_factory=list)
    admitted: list[float] = field(default_factory=list)
    waits: int = 0
    units: int = 0
    orders: int = 0
    regular_orders: int = 0
    limit_refusals: int = 0
    outcome: str = ""


def error_code(data: Any) -> str:
    error = data.get("error") if isinstance(data, dict) else None
    return str(error.get("code", "")) if isinstance(error, dict) else ""


class Driver:
    """The shoppers' schedule (a heap of due times) and the threads that work it off."""

    def __init__(self, config: Config, setup: dict[str, Any], shipping: int, run_id: str):
        self.config, self.port, self.run_id = config, config.port, run_id
        self.variant, self.sale_price = int(setup["variant"]), str(setup["sale_price"])
        self.limit = int(setup["limit"])
        self.checkout_body = {"shipping_address": ADDRESS, "shipping_method": shipping}
        tokens = (DATA / "room_tokens.txt").read_text().split()
        kinds = {0: "over", 5: "twice"}
        self.shoppers = [Shopper(i, t, kinds.get(i % 10, "one")) for i, t in enumerate(tokens)]
        for shopper in self.shoppers:
            shopper.quantity = 3 if shopper.kind == "over" else 1
        self.t0 = self.deadline = self.ended = 0.0
        self.heap: list[tuple[float, int]] = []
        self.cond = threading.Condition()
        self.lock = threading.Lock()
        self.busy = 0
        self.sold_out_at: float | None = None
        self.statuses: collections.Counter[str] = collections.Counter()
        self.latency: dict[str, list[float]] = collections.defaultdict(list)
        self.done = threading.Event()

    def run(self) -> None:
        """Arrivals evenly spread over BENCH_ROOM_ARRIVAL s; returns when all are done."""
        self.t0 = time.monotonic()
        spread = max(self.config.room_arrival, 0) / max(len(self.shoppers), 1)
        self.heap = [(self.t0 + s.index * spread, s.index) for s in self.shoppers]
        self.deadline = self.t0 + self.config.room_deadline
        threads = [
            threading.Thread(target=self.work, daemon=True)
            for _ in range(min(THREADS, len(self.shoppers)))
        ]
        for thread in threads:
            thread.start()
        # Past the deadline a thread ends once its request in flight is answered or times out.
        until = self.deadline + 2 * REQUEST_TIMEOUT
        for thread in threads:
            thread.join(timeout=max(0.0, until - time.monotonic()))
        self.ended = time.monotonic() - self.t0
        self.done.set()

    def work(self) -> None:
        while True:
            with self.cond:
                shopper = None
                while shopper is None:
                    now = time.monotonic()
                    if now >= self.deadline or (not self.heap and not self.busy):
                        self.cond.notify_all()
                        return
                    if self.heap and self.heap[0][0] <= now:
                        shopper = self.shoppers[heapq.heappop(self.heap)[1]]
                        self.busy += 1
                    else:
                        due = self.heap[0][0] if self.heap else now + 1
                        self.cond.wait(max(0.001, min(due, self.deadline) - now))
            try:
                again = self.step(shopper)
            except Exception as error:  # a shopper's bug must not stop the rest
                shopper.outcome, again = f"driver error: {error!r}"[:120], None
            with self.cond:
                self.busy -= 1
                if again is not None:
                    heapq.heappush(self.heap, (again, shopper.index))
                self.cond.notify_all()

    def request(
        self, shopper: Shopper, kind: str, method: str, path: str, body: dict[str, Any]
    ) -> tuple[int, float, Any]:
        """(status, seconds to wait if asked to, parsed JSON) of one request."""
        headers = {"Authorization": f"Token {shopper.token}", "Accept": "application/json",
                   "Content-Type": "application/json"}  # fmt: skip
        if kind == "checkout":
            headers["Idempotency-Key"] = shopper.key
        started = time.monotonic()
        connection = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        retry: str | None = None
        try:
            connection.request(method, path, body=json.dumps(body), headers=headers)
            response = connection.getresponse()
            status, raw, retry = response.status, response.read(), response.getheader("Retry-After")
        except OSError:
            status, raw = 0, b""
        finally:
            connection.close()
        with self.lock:
            self.statuses[f"{kind} {status}"] += 1
            self.latency[kind].append(time.monotonic() - started)
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        wait = float(retry) if retry and retry.isdigit() else RETRY_CAP
        return status, min(wait, RETRY_CAP), data

    def sold_out(self) -> None:
        with self.lock:
            if self.sold_out_at is None:
                self.sold_out_at = time.monotonic() - self.t0

    def step(self, s: Shopper) -> float | None:
        """One request of one shopper; when to run its next, or None when it is done."""
        now = time.monotonic()
        if s.step == "add":
            if len(s.arrived) < s.attempt:
                s.arrived.append(now - self.t0)
            body = {"variant": self.variant, "quantity": s.quantity}
            status, wait, data = self.request(s, "add", "POST", "/api/v1/cart/items/", body)
            if status == 429:
                s.waits += error_code(data) == "waiting_room"
                if self.sold_out_at is not None:
                    s.outcome = "left the line: sold out"
                    return None
                return time.monotonic() + wait
            if status != 201:
                s.outcome = f"add {status} {error_code(data)}".strip()
                return None
            s.admitted.append(now - self.t0)
            lines = [x for x in data.get("lines", []) if x.get("variant") == self.variant]
            line: dict[str, Any] = lines[0] if lines else {}
            if line.get("unit_price") != self.sale_price:
                self.sold_out()
                s.outcome = "in, but the sale's units were gone"
                return None
            s.line, s.step = line.get("id"), "checkout"
            s.key = f"room-{self.run_id}-{s.index}-{len(s.arrived)}-{s.limit_refusals}"
            return now
        if s.step == "fix":
            path = f"/api/v1/cart/items/{s.line}/"
            status, _, data = self.request(s, "fix", "PATCH", path, {"quantity": s.quantity})
            if status != 200:
                s.outcome = f"lowering the quantity: {status} {error_code(data)}".strip()
                return None
            s.step, s.key = "checkout", f"{s.key}-fix"
            return now
        status, wait, data = self.request(s, "checkout", "POST", "/api/v1/checkout/",
                                          self.checkout_body)  # fmt: skip
        if status == 429:
            return time.monotonic() + wait
        code = error_code(data)
        if status == 201:
            ours = [x for x in data.get("lines", []) if x.get("variant") == self.variant]
            s.units += sum(x["quantity"] for x in ours if x.get("unit_price") == self.sale_price)
            s.regular_orders += any(x.get("unit_price") != self.sale_price for x in ours)
            s.orders += 1
            if s.kind == "twice" and s.attempt == 1:
                s.attempt, s.quantity, s.step = 2, 2, "add"
                return now + 1.0
            s.outcome = "ordered"
            return None
        if status == 409 and code == "sale_limit_reached":
            s.limit_refusals += 1
            s.quantity = self.limit - s.units
            if s.quantity <= 0 or s.line is None or s.limit_refusals > 2:
                s.outcome = "refused: over the limit"
                return None
            s.step = "fix"
            return now
        if code in ("sale_sold_out", "out_of_stock"):
            self.sold_out()
        s.outcome = f"checkout {status} {code}".strip()
        return None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(len(ordered) * share) - 1))]


def admission_order(shoppers: list[Shopper], tolerance: float) -> dict[str, Any]:
    """How far admission followed arrival, over the pairs of first attempts.

    A pair is in order when the earlier arrival got in no later than the later one. The
    shoppers only see their admission at their next turn (every RETRY_CAP s at most), so
    pairs arriving within one turn of each other may look swapped; a pair counts as
    jumped when the later arrival got in more than `tolerance` seconds before the earlier
    one, or got in while the earlier one, who arrived over `tolerance` s before, never did.
    """
    firsts = sorted((s.arrived[0], s.admitted[0] if s.admitted else None)
                    for s in shoppers if s.arrived)  # fmt: skip
    pairs = in_order = jumped = 0
    for i, (arrived_i, admitted_i) in enumerate(firsts):
        for arrived_j, admitted_j in firsts[i + 1 :]:
            if admitted_j is None:
                continue
            if admitted_i is None:
                jumped += arrived_j - arrived_i > tolerance
                continue
            pairs += 1
            in_order += admitted_i <= admitted_j
            jumped += admitted_j < admitted_i - tolerance
    return {"pairs": pairs, "in_order": in_order / pairs if pairs else 1.0, "jumped": jumped,
            "tolerance_s": round(tolerance, 2)}  # fmt: skip


def driver_summary(driver: Driver) -> dict[str, Any]:
    shoppers = driver.shoppers
    firsts = [s for s in shoppers if s.admitted and s.arrived]
    in_room = [s.admitted[0] - s.arrived[0] for s in firsts]
    add_p99 = percentile(driver.latency.get("add", []), 0.99)
    latency = {kind: {"count": len(values), "p50_ms": round(1000 * percentile(values, 0.5), 1),
                      "p99_ms": round(1000 * percentile(values, 0.99), 1)}
               for kind, values in driver.latency.items()}  # fmt: skip
    arrivals = [s.arrived[0] for s in shoppers if s.arrived]
    return {
        "shoppers": len(shoppers),
        "arrived": len(arrivals),
        "arrival_spread_s": round(max(arrivals) - min(arrivals), 1) if arrivals else 0,
        "admitted": len(firsts),
        "admitted_at_once": sum(1 for s in firsts if s.admitted[0] == s.arrived[0]),
        "in_room_p50_s": round(percentile(in_room, 0.5), 1),
        "in_room_p99_s": round(percentile(in_room, 0.99), 1),
        "in_room_max_s": round(max(in_room, default=0), 1),
        "order": admission_order(shoppers, RETRY_CAP + add_p99),
        "second_tries": sum(1 for s in shoppers if len(s.arrived) > 1),
        "over_limit_tries": sum(1 for s in shoppers if s.limit_refusals),
        "limit_refusals": sum(s.limit_refusals for s in shoppers),
        "orders_seen": sum(s.orders for s in shoppers),
        "regular_orders_seen": sum(s.regular_orders for s in shoppers),
        "units_seen": sum(s.units for s in shoppers),
        "waits": sum(s.waits for s in shoppers),
        "outcomes": dict(collections.Counter(s.outcome or "unfinished" for s in shoppers)),
        "statuses": dict(sorted(driver.statuses.items())),
        "5xx": sum(n for k, n in driver.statuses.items() if k.split()[1].startswith("5")),
        "socket_errors": sum(n for k, n in driver.statuses.items() if k.endswith(" 0")),
        "latency": latency,
        "sold_out_after_s": None if driver.sold_out_at is None else round(driver.sold_out_at, 1),
        "seconds": round(driver.ended, 1),
    }


def prepare_room(config: Config, run_id: str) -> dict[str, Any]:
    command = ["bench/prepare.py", "room-setup", "--out", str(DATA), "--run-id", run_id,
               "--password", f"room-{run_id}", "--shoppers", str(config.room_shoppers),
               "--capacity", str(config.room_capacity), "--units", str(config.room_units),
               "--limit", str(config.room_limit)]  # fmt: skip
    return last_json(run([sys.executable, *command], env=django_env(config)).stdout)


def run_room(
    config: Config, processes: Processes, scenario: Scenario, summary: dict[str, Any], run_id: str
) -> dict[str, Any]:
    """The scenario: sale and shoppers made, pages warmed, driver and wrk together, counts."""
    log(f"room: making the sale and {config.room_shoppers} shoppers with tokens")
    setup = prepare_room(config, run_id)
    log(f"  {setup}")
    # Every worker rereads the sale schedule within 5 s; pages cached before that would
    # be keyed on the phase without the sale.
    time.sleep(6)
    paths = warmed_lines("product")
    (DATA / f"{scenario.urls}.txt").write_text("".join(f"{p}\n" for p in paths))
    budget = min(config.warmup_seconds, 30)
    info = warm_up(config.port, str(scenario.urls), paths, None, budget)
    # The sale's start changes the pages' cache keys: warmed again, within a budget.
    log(f"  product pages outside the sale warmed again: {info}")
    settle(config)
    driver = Driver(config, setup, int(summary["shipping_method"]), run_id)
    outside: dict[str, Any] = {}

    def load() -> None:
        try:
            outside.update(wrk(config, scenario, duration=config.room_deadline + 5,
                               processes=processes, stop_when=driver.done.is_set))  # fmt: skip
        except Exception as error:  # reported once the driver is done
            outside["error"] = repr(error)

    log(f"room: {scenario.label}, {config.room_deadline} s at most")
    pages = threading.Thread(target=load, daemon=True)
    pages.start()
    time.sleep(1)
    driver.run()
    pages.join(timeout=90)
    if "error" in outside or "rps" not in outside:
        raise RuntimeError(f"wrk on the pages outside the sale: {outside.get('error')}")
    time.sleep(2)
    verify = ["bench/prepare.py", "room-verify", "--sale", str(setup["sale"])]
    database = last_json(run([sys.executable, *verify], env=django_env(config)).stdout)
    outside["room"] = {"setup": setup, "warm": info, **driver_summary(driver), "db": database}
    return outside


def room_section(config: Config, result: dict[str, Any], floor: dict[str, Any]) -> list[str]:
    """The report's section: what the sale sold, how the room let people in, the shop."""
    room, ratio = result.get("room", {}), None
    db, order, setup = room.get("db", {}), room.get("order", {}), room.get("setup", {})
    if floor.get("rps"):
        ratio = result["rps"] / floor["rps"]
    latency = room.get("latency", {})
    timed = "; ".join(f"{kind} {v['count']} requests, p50 {v['p50_ms']} ms, p99 {v['p99_ms']} ms"
                      for kind, v in latency.items())  # fmt: skip
    ok = "yes" if db.get("stock_consistent") else "NO"
    after = room.get("sold_out_after_s")
    sold_out = "not sold out" if after is None else f"the sale's units gone after {after} s"
    return [
        "## Waiting-room sale",
        "",
        f"{room.get('shoppers')} shoppers, each with its own account and API token (made in the "
        f"database), arrive over {config.room_arrival} s (the first request of the last one "
        f"{room.get('arrival_spread_s')} s after the first) for a sale of "
        f"{setup.get('units')} units of one variant (sale price {setup.get('sale_price')}, "
        f"regular {setup.get('regular_price')}, {setup.get('stock')} in stock), at most "
        f"{setup.get('limit')} per customer, behind a waiting room of capacity "
        f"{setup.get('capacity')} (BENCH_ROOM_CAPACITY: about the checkouts the servers "
        "serve at once). Each adds the variant through the API, on 429 waits the room's "
        f"Retry-After (at most {RETRY_CAP:g} s) and asks again, then checks out. One in ten "
        "asks for 3 units at once and one in ten comes back for 2 more after an order: "
        "checkout must refuse both, and they lower the quantity to what the limit allows. "
        "Once an answer shows the sale's units gone, shoppers still in line leave at their "
        f"next turn. The driver: {THREADS} threads at most, one request per step, "
        f"{config.room_deadline} s at most; it took {room.get('seconds')} s. Meanwhile wrk "
        f"read cached product pages outside the sale on {config.connections} connections "
        f"(warmed again once the sale was live: {room.get('warm', {}).get('urls')} pages); "
        "the sale and the pages share the same gunicorn workers, so what a waiting "
        "shopper's turn costs is taken from the rest of the shop.",
        "",
        "| Measure | Value |",
        "| --- | --- |",
        f"| Orders placed in the sale (database) | **{db.get('orders')}** by "
        f"{db.get('customers')} customers, {db.get('units_claimed')} of {db.get('units')} "
        f"units (orders by units: {db.get('orders_by_size')}); the driver saw "
        f"{room.get('orders_seen')} orders, {room.get('units_seen')} units at the sale price |",
        f"| Oversell | **{db.get('oversell')}** (units claimed or counted sold beyond "
        f"{db.get('units')}); final stock {db.get('final_stock')} = stock - units sold: {ok} |",
        f"| Customers over the limit of {setup.get('limit')} | **{db.get('breaches')}** "
        f"(most units one customer holds: {db.get('max_per_customer')}; checkout refused "
        f"{room.get('limit_refusals')} times as over the limit, for "
        f"{room.get('over_limit_tries')} shoppers; {room.get('second_tries')} shoppers came "
        "back for more) |",
        f"| Orders of the variant at the regular price | {db.get('regular_price_orders')} (the "
        "sale's units gone between a shopper's add and checkout) |",
        f"| Admitted (first tries) | {room.get('admitted')} of {room.get('arrived')} "
        f"({room.get('admitted_at_once')} at once); {sold_out}; outcomes "
        f"{room.get('outcomes')} ('unfinished': still waiting at the time limit) |",
        f"| Time in the room (arrival to the add that got in) | p50 "
        f"**{room.get('in_room_p50_s')} s**, p99 **{room.get('in_room_p99_s')} s**, max "
        f"{room.get('in_room_max_s')} s ({room.get('waits')} waiting-room answers) |",
        f"| Admission in arrival order | {100 * order.get('in_order', 0):.1f}% of "
        f"{order.get('pairs')} pairs of admitted shoppers got in in the order they arrived; "
        f"**{order.get('jumped')}** pairs where the later arrival got in more than "
        f"{order.get('tolerance_s')} s (one turn plus the add's p99) before the earlier one, "
        "or got in while the earlier one never did. A shopper sees its admission only at "
        "its next turn, so pairs within one turn of each other can look swapped |",
        f"| Pages outside the sale, during it | **{result['rps']:.0f} req/s, "
        f"{ratio if ratio is None else round(ratio, 2)}x floor** (target ≥ 0.25x), p50 "
        f"{result['p50_ms']:.1f} ms, p99 **{result['p99_ms']:.1f} ms**, answers "
        f"{result['statuses']} |",
        f"| The sale's requests | 5xx **{room.get('5xx')}**, socket errors "
        f"{room.get('socket_errors')}; {timed}; answers {room.get('statuses')} |",
        "",
    ]
