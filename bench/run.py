"""`make bench`: load-test the production configuration on PostgreSQL + Redis with wrk.

Starts PostgreSQL and Redis if they are down (as .ci/run does), prepares the
`shopfront_bench` database (100,000 products, seeded once), starts gunicorn with the
shipped config twice (catalog cache on, and off for the "cold" scenarios) and a Celery
worker, warms up, runs every scenario with wrk for a fixed time, checks the flash sale
and the waiting-room sale in the database, writes docs/BENCHMARKS.md and stops every
process it started, also on Ctrl-C or failure. Load goes to 127.0.0.1 only, and every
wrk run has a time limit.

Settings (environment): BENCH_DURATION (seconds per scenario, 15), BENCH_FLASH_DURATION
(the flash sale runs until sold out plus BENCH_FLASH_AFTER seconds, 10, and 150 s at
most), BENCH_CONNECTIONS (32; one wrk thread each), BENCH_PORT (8401; the cold server uses
the next port), BENCH_PRODUCTS (100000), BENCH_BUYERS (64), BENCH_FLASH_STOCK (2000),
BENCH_URLS (URLs listed per scenario, 2000), BENCH_WARMUP_SECONDS (warm-up time per list,
45), BENCH_REVALIDATE_URLS (1000), BENCH_SHOPPERS (cart shoppers, 256), BENCH_SEED (1),
BENCH_ONLY (comma-separated scenario keys, to try one out), BENCH_PROFILE (1: profile
the scenarios that missed a target with py-spy, after the measured runs), BENCH_OUTPUT
(docs/BENCHMARKS.md), BENCH_DB (shopfront_bench; another name gives a quick run with
fewer BENCH_PRODUCTS a database of its own). The waiting-room sale (bench/room.py):
BENCH_ROOM_SHOPPERS (1000), BENCH_ROOM_CAPACITY (32), BENCH_ROOM_UNITS (500),
BENCH_ROOM_ARRIVAL (seconds over which the shoppers arrive, 5), BENCH_ROOM_DEADLINE (180).
WEB_CONCURRENCY, GUNICORN_MAX_REQUESTS, GUNICORN_THREADS and
CELERY_CONCURRENCY are passed on when set, and the report says so.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cpu import cpu_by_kind, per_order_ms
from dataprep import (
    collect_etags,
    fetch,
    flash_outcome,
    make_shoppers,
    obtain_tokens,
    prepare_data,
    prepare_database,
    query_counts,
    read_lines,
    wait_healthy,
    warm_up,
)
from processes import Processes, ensure_services, ensure_tools, psql, run
from profiles import profile
from report import exact_command, git_state, machine, versions, write_report
from room import run_room
from scenarios import QUERY_NAMES, SCENARIOS, Scenario, settle, wrk
from settings import BIN, DATA, HOST, LOGS, REDIS_DB, ROOT, VAR, Config, django_env, log
from verdicts import flash_verdict, print_table, reference_floor, verdict


def main() -> int:
    config = Config()
    processes = Processes()
    began = time.monotonic()

    def terminate(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)
    try:
        return bench(config, processes, began)
    finally:
        processes.stop_all()


@dataclass
class Servers:
    """The two gunicorn servers (cache on and off) and the Celery worker's concurrency."""

    warm: subprocess.Popen[bytes]
    cold: subprocess.Popen[bytes]
    celery_concurrency: str


def bench(config: Config, processes: Processes, began: float) -> int:
    """The whole run: services, data, servers, every scenario, then the report."""
    if not 8400 <= config.port < config.cold_port <= 8499:
        raise SystemExit("BENCH_PORT must leave room for two ports in 8400-8499.")
    load_before = load_average()
    context = prepare_machine(config, processes)
    run_id, password, summary = prepare_run_data(config)
    queries = count_queries(config)
    servers = start_servers(config, processes)
    selected = select_scenarios(config)
    warm_up_servers(config, processes, selected, context, password)

    ran: list[tuple[Scenario, dict[str, Any]]] = []
    profiles: dict[str, Any] = {}
    for scenario in selected:
        result, extra_env = measure(config, processes, scenario, summary, run_id)
        ran.append((scenario, result))
        found = profile_if_missed(config, processes, servers, ran, queries, extra_env, run_id)
        if found is not None:
            profiles[scenario.label] = found

    floor = reference_floor(ran)
    elapsed = time.monotonic() - began
    describe_run(config, context, summary, servers, load_before, elapsed)
    write_report(config, context, ran, queries, profiles)
    print_table(ran, floor, queries)
    shown = config.output.relative_to(ROOT) if config.output.is_relative_to(ROOT) else config.output
    log(f"wrote {shown} in {elapsed / 60:.1f} min")
    return 0


def load_average() -> str:
    """The machine's load averages (1, 5, 15 minutes), as the report shows them."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def prepare_machine(config: Config, processes: Processes) -> dict[str, Any]:
    """Tools, services, a clean var/bench and the database; the report's first context."""
    ensure_tools()
    ensure_services(processes)
    VAR.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(LOGS, ignore_errors=True)
    for stale in DATA.glob("*.warm.txt"):
        stale.unlink()
    shutil.rmtree(VAR / "mail", ignore_errors=True)
    return prepare_database(config)


def prepare_run_data(config: Config) -> tuple[str, str, dict[str, Any]]:
    """A flushed Redis and this run's data; its id, the buyers' password and the summary."""
    log(f"flushing Redis db {REDIS_DB}")
    run(["redis-cli", "-h", HOST, "-p", "6379", "-n", str(REDIS_DB), "FLUSHDB"])
    run_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    password = secrets.token_urlsafe(16)
    summary = prepare_data(config, run_id, password)
    (DATA / "healthz.txt").write_text("/healthz\n")
    log(
        f"data: {summary['products']:,} products; flash-sale variant {summary['flash_variant']} "
        f"with {summary['flash_stock']} units; {summary['counts']}"
    )
    return run_id, password, summary


def count_queries(config: Config) -> dict[str, Any]:
    """SQL queries per request of each page, cache off and on."""
    names = [name for name in QUERY_NAMES if name != "home"] + ["home"]
    log("counting SQL queries per request (Django test client)")
    queries = query_counts(config, names)
    log(f"queries: {json.dumps(queries)}")
    return queries


def start_servers(config: Config, processes: Processes) -> Servers:
    """gunicorn with the catalog cache on and off, and a Celery worker, all answering."""
    log("starting gunicorn (cache on and off) and a Celery worker")
    gunicorn = [str(BIN / "gunicorn"), "config.wsgi:application", "--config",
                "config/gunicorn.conf.py"]  # fmt: skip
    warm = processes.start("gunicorn", gunicorn, django_env(config, port=config.port))
    cold = processes.start(
        "gunicorn-cold", gunicorn, django_env(config, cache=False, port=config.cold_port)
    )
    celery_concurrency = os.environ.get("CELERY_CONCURRENCY", "2")
    processes.start(
        "celery",
        [str(BIN / "celery"), "--app", "config", "worker", "--loglevel", "WARNING",
         "--concurrency", celery_concurrency],
        django_env(config),
    )  # fmt: skip
    wait_healthy(config.port, warm, "gunicorn")
    wait_healthy(config.cold_port, cold, "gunicorn-cold")
    ready = fetch(config.port, "GET", "/readyz")
    log(f"/readyz: {ready[0]} {ready[2][:200].decode(errors='replace')}")
    return Servers(warm=warm, cold=cold, celery_concurrency=celery_concurrency)


def select_scenarios(config: Config) -> list[Scenario]:
    """The scenarios BENCH_ONLY names (all when unset), always with both floors."""
    return [
        s
        for s in SCENARIOS
        if not config.only or s.key in config.only or s.key in ("floor", "floor_end")
    ]


def warm_up_servers(
    config: Config,
    processes: Processes,
    selected: list[Scenario],
    context: dict[str, Any],
    password: str,
) -> None:
    """Warmed caches, ETags, tokens and shoppers for the selected scenarios, warm workers."""
    keys = {s.key for s in selected}
    context["warmup"] = {}
    context["etags"] = {"urls": 0, "with_etag": 0}
    log("warming up: every URL of the cached scenarios once")
    for scenario in selected:
        if scenario.server == "warm" and scenario.urls and scenario.urls in QUERY_NAMES:
            info = warm_up(
                config.port,
                scenario.urls,
                read_lines(scenario.urls),
                scenario.accept,
                config.warmup_seconds,
            )
            context["warmup"][scenario.urls] = info
            log(f"  {scenario.urls}: {info}")
    if "api_revalidate" in keys:
        context["etags"] = collect_etags(config)
        log(f"ETags: {context['etags']}")
    tokens: list[str] = []
    if "flash" in keys:
        log(f"obtaining {config.buyers} API tokens")
        tokens = obtain_tokens(config, read_lines("buyers"), password)
        (DATA / "tokens.txt").write_text("".join(f"{t}\n" for t in tokens))
    if "cart" in keys:
        log(f"making {config.shoppers} cart shoppers")
        shoppers = make_shoppers(config, read_lines("product"), read_lines("variants"))
        (DATA / "shoppers.txt").write_text("".join(f"{s}\n" for s in shoppers))
    # Workers' first requests import and compile; none of that belongs to the floor.
    wrk(config, SCENARIOS[0], duration=3, processes=processes)


def scenario_env(scenario: Scenario, summary: dict[str, Any], run_id: str) -> dict[str, str]:
    """What the cart and flash-sale Lua scripts read besides the URLs; nothing for others."""
    if scenario.key == "cart":
        return {
            "BENCH_SHOPPERS_FILE": str(DATA / "shoppers.txt"),
            "BENCH_VARIANTS_FILE": str(DATA / "variants.txt"),
        }
    if scenario.key == "flash":
        return {
            "BENCH_BUYERS_FILE": str(DATA / "tokens.txt"),
            "BENCH_FLASH_VARIANT": str(summary["flash_variant"]),
            "BENCH_SHIPPING_METHOD": str(summary["shipping_method"]),
            "BENCH_RUN_ID": run_id,
        }
    return {}


def sold_out_probe(
    config: Config, variant_id: int, lock_samples: list[tuple[int, int]]
) -> Callable[[], bool]:
    """Whether the flash-sale variant is sold out, for wrk's stop_when."""

    def sold_out() -> bool:
        # Also samples how many database sessions wait for a lock while it sells.
        row = psql(
            f"SELECT (SELECT stock FROM catalog_variant WHERE id = {variant_id}), "  # noqa: S608
            "count(*) FILTER (WHERE wait_event_type = 'Lock'), "
            "count(*) FILTER (WHERE state = 'active') - 1 "
            "FROM pg_stat_activity WHERE datname = current_database()",
            config.database,
        )
        stock, waiting, active = row.split("|")
        if stock != "0":
            lock_samples.append((int(waiting), int(active)))
        return stock == "0"

    return sold_out


def emails_wait(config: Config, *, since: float, at_most: float = 90.0) -> None:
    """Waits (5 s at least) until the worker has sent every e-mail owed since `since`."""
    time.sleep(5)
    deadline = time.monotonic() + at_most
    while time.monotonic() < deadline:
        unsent = psql(
            f"SELECT count(*) FROM orders_notification WHERE sent_at IS NULL AND created_at >= "  # noqa: S608 - a float we made
            f"to_timestamp({since:.3f})",
            config.database,
        )
        if unsent == "0":
            return
        time.sleep(1)


def lock_waits(lock_samples: list[tuple[int, int]]) -> str:
    """The sessions waiting for a lock while the flash sale sold, on average."""
    return (
        f"{sum(w for w, _ in lock_samples) / len(lock_samples):.1f} of "
        f"{sum(a for _, a in lock_samples) / len(lock_samples):.1f} active "
        f"sessions on average ({len(lock_samples)} samples, one a second)"
    )


def measure(
    config: Config,
    processes: Processes,
    scenario: Scenario,
    summary: dict[str, Any],
    run_id: str,
) -> tuple[dict[str, Any], dict[str, str]]:
    """One scenario's measured run, once the last one settled; its result and extra env."""
    duration = config.duration
    settled = settle(config)
    if scenario.key == "room":
        result = run_room(config, processes, scenario, summary, run_id)
        result["settled_after"] = settled
        log(f"  outside the sale {result['rps']:.0f} req/s, p99 {result['p99_ms']:.1f} ms; "
            f"{json.dumps(result['room'])}")  # fmt: skip
        return result, {}
    if scenario.server == "cold":
        wrk(config, scenario, duration=3, processes=processes)
    extra_env = scenario_env(scenario, summary, run_id)
    stop_when = None
    lock_samples: list[tuple[int, int]] = []
    cpu: dict[str, dict[str, float]] = {}
    if scenario.key == "flash":
        duration = config.flash_duration
        probe = sold_out_probe(config, int(summary["flash_variant"]), lock_samples)

        def stop_when() -> bool:
            sold_out = probe()
            if sold_out and "sold" not in cpu:
                cpu["sold"] = cpu_by_kind()
            return sold_out

        cpu["before"] = cpu_by_kind()
        log(
            f"{scenario.key}: {scenario.label}, until sold out + {config.flash_after} s "
            f"({duration} s at most)"
        )
    else:
        log(f"{scenario.key}: {scenario.label}, {duration} s")
    result = wrk(
        config,
        scenario,
        duration=duration,
        processes=processes,
        extra_env=extra_env,
        stop_when=stop_when,
        stop_after=config.flash_after,
    )
    result["settled_after"] = settled
    if scenario.key == "flash":
        # Let the worker catch up with the confirmation e-mails before counting them.
        emails_wait(config, since=result["started"])
        cpu["delivered"] = cpu_by_kind()
        result["sale"] = flash_outcome(config, result)
        result["sale"]["cpu_ms_per_order"] = per_order_ms(
            cpu["before"], cpu.get("sold", cpu["delivered"]), cpu["delivered"],
            int(result["sale"]["orders"]),
        )  # fmt: skip
        if lock_samples:
            result["sale"]["lock_waits"] = lock_waits(lock_samples)
    log(
        f"  {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, p99 "
        f"{result['p99_ms']:.1f} ms, statuses {result['statuses']}, socket errors "
        f"{result['socket_errors']}" + (f", sale {result['sale']}" if "sale" in result else "")
    )
    return result, extra_env


def profile_if_missed(
    config: Config,
    processes: Processes,
    servers: Servers,
    ran: list[tuple[Scenario, dict[str, Any]]],
    queries: dict[str, Any],
    extra_env: dict[str, str],
    run_id: str,
) -> dict[str, Any] | None:
    """A py-spy profile of the scenario just run if it missed a target (and BENCH_PROFILE)."""
    scenario, result = ran[-1]
    # Profiled right after its own run, while the cache is as the run left it (the
    # flash sale's stock changes invalidate the catalog cache). For the flash sale the
    # variant is first put back on sale (its measured numbers are counted by then) and
    # the profile run uses its own idempotency keys. Judged against the first floor,
    # the only one yet.
    missed = verdict(scenario, result, reference_floor(ran), queries).startswith("MISSED")
    if scenario.key == "flash":
        missed = flash_verdict(result).startswith("MISSED")
    # The room's pages are profiled by the product scenario; its sale is over by now.
    if not (config.profile and missed) or scenario.key == "room":
        return None
    log(f"  profiling {scenario.key} with py-spy")
    if scenario.key == "flash":
        restock = [sys.executable, "bench/prepare.py", "restock", "--summary"]
        run([*restock, str(DATA / "summary.json")], env=django_env(config))
        extra_env = {**extra_env, "BENCH_RUN_ID": f"{run_id}-profile"}
    master = servers.warm.pid if scenario.server == "warm" else servers.cold.pid
    return profile(config, scenario, master, processes, extra_env)


def describe_run(
    config: Config,
    context: dict[str, Any],
    summary: dict[str, Any],
    servers: Servers,
    load_before: str,
    elapsed: float,
) -> None:
    """Adds what the report says about the run (date, code, machine, versions) to context."""
    workers = os.environ.get("WEB_CONCURRENCY") or str((os.cpu_count() or 1) * 2 + 1)
    context.update(
        {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": exact_command(),
            "git": git_state(),
            "machine": machine(),
            "versions": versions(config),
            "load_before": load_before,
            "load_after": load_average(),
            "elapsed": f"{elapsed / 60:.1f} min",
            "workers": workers,
            "celery_concurrency": servers.celery_concurrency,
            "products": summary["products"],
            "variants": summary["variants_total"],
            "categories": summary["categories"],
            "url_counts": {
                name: count
                for name, count in summary["counts"].items()
                if name not in ("buyers", "home")
            },
        }
    )


if __name__ == "__main__":
    sys.exit(main())
