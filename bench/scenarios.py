"""The scenarios, and one wrk run of a scenario: settling, CPU use, latencies, summary."""

from __future__ import annotations

import collections
import json
import math
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from processes import Processes, psql
from settings import DATA, HOST, LOGS, LUA_DIR, ROOT, WRK_TIMEOUT, Config


@dataclass
class Scenario:
    key: str
    label: str
    script: str
    server: str = "warm"
    urls: str | None = None
    accept: str | None = None
    # ("floor_ratio", 0.3) etc.; None: reported without a target.
    min_ratio: float | None = None
    p99_factor: float | None = None
    # An absolute p99 target in milliseconds (the cold search's 300 ms).
    max_p99_ms: float | None = None
    max_queries: int | None = None
    query_key: str | None = None
    one_per_thread: bool = False


SCENARIOS = [
    Scenario("floor", "/healthz (floor, start)", "urls.lua", urls="healthz"),
    Scenario("home", "Home", "urls.lua", urls="home", min_ratio=0.3, p99_factor=3),
    Scenario("category", "Category listing", "urls.lua", urls="category", min_ratio=0.3,
             p99_factor=3),
    Scenario("product", "Product page", "urls.lua", urls="product", min_ratio=0.3, p99_factor=3),
    Scenario("search", "Search", "urls.lua", urls="search", min_ratio=0.3, p99_factor=3),
    Scenario("api_list", "API product list", "urls.lua", urls="api_list",
             accept="application/json", min_ratio=0.4),
    Scenario("api_detail", "API product detail", "urls.lua", urls="api_detail",
             accept="application/json", min_ratio=0.4),
    Scenario("api_revalidate", "API list/detail, If-None-Match", "revalidate.lua",
             urls="revalidate", min_ratio=0.4),
    Scenario("cold_home", "Home, cold", "urls.lua", server="cold", urls="home",
             query_key="home"),
    Scenario("cold_category", "Category listing, cold", "urls.lua", server="cold",
             urls="category", min_ratio=0.1, max_queries=6, query_key="category"),
    Scenario("cold_product", "Product page, cold", "urls.lua", server="cold", urls="product",
             min_ratio=0.1, max_queries=6, query_key="product"),
    Scenario("cold_search", "Search, cold", "urls.lua", server="cold", urls="search",
             min_ratio=0.1, max_p99_ms=300, query_key="search"),
    Scenario("cart", "Add to cart + cart page", "cart.lua", min_ratio=0.1,
             one_per_thread=True),
    Scenario("flash", "Flash sale (API add + checkout)", "flash.lua", one_per_thread=True),
    # Product pages outside the sale, read while a crowd waits for it (bench/room.py).
    Scenario("room", "Waiting-room sale: pages outside it", "urls.lua", urls="room_product",
             min_ratio=0.25),
    Scenario("floor_end", "/healthz (floor, end)", "urls.lua", urls="healthz"),
]  # fmt: skip


# The pages whose SQL queries per request are counted, and whose URLs are warmed up.
QUERY_NAMES = ["home", "category", "product", "search", "api_list", "api_detail"]


def settle(config: Config, *, quiet_for: float = 2.0, at_most: float = 90.0) -> float:
    """Waits until no query of the bench's database has run for `quiet_for` seconds; the
    seconds it waited.

    wrk stops, but gunicorn still answers the requests already in its listen queue: after
    a slow scenario (cold search: seconds a request) its workers and PostgreSQL would go on
    working into the next scenario's time and lower its numbers.
    """
    started = time.monotonic()
    quiet_since = started
    while time.monotonic() - started < at_most:
        busy = int(
            psql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND pid <> pg_backend_pid()",
                config.database,
            )
        )
        now = time.monotonic()
        if busy:
            quiet_since = now
        elif now - quiet_since >= quiet_for:
            break
        time.sleep(0.25)
    return round(time.monotonic() - started - quiet_for, 1)


def wrk(
    config: Config,
    scenario: Scenario,
    *,
    duration: int,
    processes: Processes,
    extra_env: dict[str, str] | None = None,
    stop_when: Callable[[], bool] | None = None,
    stop_after: float = 0.0,
) -> dict[str, Any]:
    """Runs wrk for `duration` seconds, or until `stop_when()` (polled every second) has
    held for `stop_after` seconds: then wrk gets SIGINT, on which it stops and reports."""
    port = config.cold_port if scenario.server == "cold" else config.port
    # One connection per wrk thread: the Lua state then follows one connection, which
    # lets the scripts time every request (see bench/lua/common.lua) and lets the cart
    # and flash-sale scripts follow a shopper's own previous answer.
    threads = config.connections
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{config.connections}",
        f"-d{duration}s",
        "--timeout",
        WRK_TIMEOUT,
        "-s",
        str(LUA_DIR / scenario.script),
        f"http://{HOST}:{port}",
    ]
    env = {
        **os.environ,
        "BENCH_LUA_DIR": str(LUA_DIR),
        "BENCH_THREADS": str(threads),
        **(extra_env or {}),
    }
    urls_count = None
    if scenario.urls:
        urls_file = DATA / f"{scenario.urls}.txt"
        if scenario.server == "warm" and (DATA / f"{scenario.urls}.warm.txt").exists():
            urls_file = DATA / f"{scenario.urls}.warm.txt"
        env["BENCH_URLS_FILE"] = str(urls_file)
        urls_count = len(urls_file.read_text().split())
    if scenario.accept:
        env["BENCH_ACCEPT"] = scenario.accept
    LOGS.mkdir(parents=True, exist_ok=True)
    samples_dir = LOGS / f"samples-{scenario.key}"
    shutil.rmtree(samples_dir, ignore_errors=True)
    samples_dir.mkdir()
    env["BENCH_SAMPLES_DIR"] = str(samples_dir)
    out_path = LOGS / f"wrk-{scenario.key}.out"
    groups = {os.getpgrp(), *(process.pid for _, process in processes.running)}
    cpu_before = cpu_snapshot(groups)
    started = time.time()
    with out_path.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own command
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        processes.running.append((f"wrk {scenario.key}", process))
        try:
            stop_at = None
            deadline = time.monotonic() + duration + 60
            while process.poll() is None and time.monotonic() < deadline:
                time.sleep(1)
                if stop_when is None:
                    continue
                if stop_at is None and stop_when():
                    stop_at = time.monotonic() + stop_after
                if stop_at is not None and time.monotonic() >= stop_at:
                    process.send_signal(signal.SIGINT)
                    process.wait(timeout=30)
        finally:
            processes.stop(process, grace=5)
            processes.running.remove((f"wrk {scenario.key}", process))
    other_cpu = other_load(cpu_before, cpu_snapshot(groups))
    text = out_path.read_text(errors="replace")
    for line in text.splitlines():
        if line.startswith("BENCH_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
            result["started"] = started
            result["urls"] = urls_count
            result["other_cpu_pct"] = other_cpu
            result["command"] = " ".join(command)
            result["classes"] = latency_classes(samples_dir)
            extra = result.get("extra") or {}
            result["expected_refusals"] = int(
                extra.get("sold_out_adds", 0) + extra.get("sold_out_checkouts", 0)
            )
            return summarise(result)
    raise RuntimeError(f"wrk {scenario.key} gave no result:\n{text[-2000:]}")


def cpu_snapshot(groups: set[int]) -> tuple[float, float, float]:
    """(wall clock, CPU seconds the machine was busy, CPU seconds of the bench's processes).

    The bench's processes are its process groups (this script, whose reaped children
    include every wrk and psql run, gunicorn, Celery) plus PostgreSQL and Redis. Reaped
    children count through their parent's cutime/cstime, so recycled workers are not lost.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6] + cpu[7]
    ours = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        if int(fields[2]) in groups or comm in ("postgres", "redis-server"):
            ours += sum(int(value) for value in fields[11:15])
    return time.monotonic(), busy / ticks, ours / ticks


def other_load(before: tuple[float, float, float], after: tuple[float, float, float]) -> float:
    """Share of the machine's cores used by processes that are not the bench's, in %."""
    elapsed = after[0] - before[0]
    others = (after[1] - before[1]) - (after[2] - before[2])
    return max(0.0, 100 * others / (elapsed * (os.cpu_count() or 1))) if elapsed > 0 else 0.0


def latency_classes(samples_dir: Path) -> dict[str, dict[str, float]]:
    """p50/p99 per class of answer from the "class micros" lines the Lua scripts wrote."""
    samples: dict[str, list[int]] = collections.defaultdict(list)
    for path in samples_dir.glob("thread-*.txt"):
        for line in path.read_text().splitlines():
            name, _, micros = line.partition(" ")
            if micros.isdigit():
                samples[name].append(int(micros))
    classes: dict[str, dict[str, float]] = {}
    for name, values in samples.items():
        values.sort()

        def at(share: float, values: list[int] = values) -> int:
            return values[min(len(values) - 1, max(0, math.ceil(len(values) * share) - 1))]

        classes[name] = {"count": len(values), "p50_us": at(0.5), "p99_us": at(0.99)}
    return classes


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    seconds = result["duration_us"] / 1e6
    statuses = {int(float(k)): int(v) for k, v in result["statuses"].items()}
    # wrk's "status" error is its own count of answers >= 400, already in `statuses`.
    socket_errors = {k: int(v) for k, v in result["errors"].items() if k != "status"}
    bad = sum(count for status, count in statuses.items() if status >= 400)
    if result.get("expected_refusals"):
        # The flash sale's sold-out answers (400 on add, 409 on checkout) are its point.
        bad -= result["expected_refusals"]
    timed = result["classes"].get("all", {})
    result.update(
        {
            "seconds": seconds,
            "rps": result["requests"] / seconds if seconds else 0.0,
            # Timed per request by the Lua scripts; wrk's histogram kept for comparison.
            "p50_ms": timed.get("p50_us", 0) / 1000,
            "p99_ms": timed.get("p99_us", 0) / 1000,
            "wrk_p50_ms": result["latency"]["p50_us"] / 1000,
            "wrk_p99_ms": result["latency"]["p99_us"] / 1000,
            "statuses": statuses,
            "status_errors": bad,
            "socket_errors": socket_errors,
            "errors_total": bad + sum(socket_errors.values()),
            "5xx": sum(count for status, count in statuses.items() if status >= 500),
        }
    )
    return result
