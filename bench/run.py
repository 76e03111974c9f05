"""`make bench`: load-test the production configuration on PostgreSQL + Redis with wrk.

Starts PostgreSQL and Redis if they are down (as .ci/run does), prepares the
`shopfront_bench` database (100,000 products, seeded once), starts gunicorn with the
shipped config twice (catalog cache on, and off for the "cold" scenarios) and a Celery
worker, warms up, runs every scenario with wrk for a fixed time, checks the flash sale
in the database, writes docs/BENCHMARKS.md and stops every process it started, also on
Ctrl-C or failure. Load goes to 127.0.0.1 only, and every wrk run has a time limit.

Settings (environment): BENCH_DURATION (seconds per scenario, 15), BENCH_FLASH_DURATION
(the flash sale runs until sold out plus BENCH_FLASH_AFTER seconds, 10, and 150 s at
most), BENCH_CONNECTIONS (32; one wrk thread each), BENCH_PORT (8401; the cold server uses
the next port), BENCH_PRODUCTS (100000), BENCH_BUYERS (64), BENCH_FLASH_STOCK (2000),
BENCH_URLS (URLs listed per scenario, 2000), BENCH_WARMUP_SECONDS (warm-up time per list,
45), BENCH_REVALIDATE_URLS (1000), BENCH_SHOPPERS (cart shoppers, 256), BENCH_SEED (1),
BENCH_ONLY (comma-separated scenario keys, to try one out), BENCH_PROFILE (1: profile
the scenarios that missed a target with py-spy, after the measured runs), BENCH_OUTPUT
(docs/BENCHMARKS.md). WEB_CONCURRENCY, GUNICORN_MAX_REQUESTS, GUNICORN_THREADS and
CELERY_CONCURRENCY are passed on when set, and the report says so.
"""

from __future__ import annotations

import collections
import concurrent.futures
import http.client
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LUA_DIR = ROOT / "bench" / "lua"
VAR = ROOT / "var" / "bench"
DATA = VAR / "data"
LOGS = VAR / "logs"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
WRK_TIMEOUT = "10s"
PG_URL = "postgres://postgres@127.0.0.1:5432/{db}"
REDIS_DB = 10
# DRF keeps one timestamp per request of the window for each client, and all of wrk's
# traffic comes from one address: a per-minute window would make every anonymous API
# request read and write a list of tens of thousands of entries. Per-second windows
# keep the lists as short as a busy real client's.
THROTTLES = {
    "API_THROTTLE_ANON": "100000/s",
    "API_THROTTLE_USER": "100000/s",
    "API_THROTTLE_CHECKOUT": "100000/s",
    "API_THROTTLE_AUTH": "1000/min",
}
# Server settings a user may set for a run (e.g. GUNICORN_MAX_REQUESTS=0 make bench); the
# report lists them. Anything else of the kind in the environment is left out.
PASS_THROUGH = (
    "WEB_CONCURRENCY",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_THREADS",
    "CELERY_CONCURRENCY",
)
SHIPPED_THROTTLES = {
    "API_THROTTLE_ANON": "300/min",
    "API_THROTTLE_USER": "600/min",
    "API_THROTTLE_CHECKOUT": "30/min",
    "API_THROTTLE_AUTH": "10/min",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


@dataclass
class Config:
    """What `make bench` does, from BENCH_* variables."""

    duration: int = field(default_factory=lambda: env_int("BENCH_DURATION", 15))
    # The sale runs until sold out plus flash_after seconds, flash_duration at most.
    flash_duration: int = field(default_factory=lambda: env_int("BENCH_FLASH_DURATION", 150))
    flash_after: int = field(default_factory=lambda: env_int("BENCH_FLASH_AFTER", 10))
    connections: int = field(default_factory=lambda: env_int("BENCH_CONNECTIONS", 32))
    port: int = field(default_factory=lambda: env_int("BENCH_PORT", 8401))
    products: int = field(default_factory=lambda: env_int("BENCH_PRODUCTS", 100_000))
    buyers: int = field(default_factory=lambda: env_int("BENCH_BUYERS", 64))
    flash_stock: int = field(default_factory=lambda: env_int("BENCH_FLASH_STOCK", 2000))
    urls: int = field(default_factory=lambda: env_int("BENCH_URLS", 2000))
    shoppers: int = field(default_factory=lambda: env_int("BENCH_SHOPPERS", 256))
    revalidate_urls: int = field(default_factory=lambda: env_int("BENCH_REVALIDATE_URLS", 1000))
    warmup_seconds: int = field(default_factory=lambda: env_int("BENCH_WARMUP_SECONDS", 45))
    seed: int = field(default_factory=lambda: env_int("BENCH_SEED", 1))
    database: str = "shopfront_bench"
    only: list[str] = field(
        default_factory=lambda: [
            key.strip() for key in os.environ.get("BENCH_ONLY", "").split(",") if key.strip()
        ]
    )
    profile: bool = field(default_factory=lambda: os.environ.get("BENCH_PROFILE", "1") == "1")
    output: Path = field(
        default_factory=lambda: ROOT / os.environ.get("BENCH_OUTPUT", "docs/BENCHMARKS.md")
    )

    @property
    def cold_port(self) -> int:
        return self.port + 1


# --- processes ---------------------------------------------------------------------------


class Processes:
    """Every process the bench starts, each in its own process group, stopped at the end."""

    def __init__(self) -> None:
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.services: list[str] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        LOGS.mkdir(parents=True, exist_ok=True)
        with (LOGS / f"{name}.log").open("ab") as output:
            process = subprocess.Popen(  # noqa: S603 - our own commands
                command,
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running.append((name, process))
        return process

    def stop(self, process: subprocess.Popen[Any], *, grace: float = 25.0) -> None:
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for name, process in reversed(self.running):
            if process.poll() is None:
                log(f"stopping {name} (process group {process.pid})")
                self.stop(process)
        self.running.clear()
        # Services only when this run started them: then no one else was using them.
        if "redis" in self.services:
            log("stopping the Redis this run started")
            run(["redis-cli", "-h", HOST, "-p", "6379", "shutdown", "nosave"], check=False)
        if "postgresql" in self.services:
            log("stopping the PostgreSQL this run started")
            run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "stop"],
                check=False,
            )
        self.services.clear()


def run(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    check: bool = True,
    capture: bool = True,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - our own commands
        command,
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=capture,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        detail = (result.stderr or "")[-3000:] + (result.stdout or "")[-2000:]
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{detail}")
    return result


def last_json(output: str) -> dict[str, Any]:
    for line in reversed(output.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no JSON result in:\n{output[-2000:]}")


# --- services ----------------------------------------------------------------------------


def pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def apt_install(packages: list[str]) -> None:
    log(f"installing {' '.join(packages)} from Debian")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", *packages]
    if run(install, env=env, check=False).returncode != 0:
        run(["apt-get", "update", "-qq"], env=env)
        run(install, env=env)


def ensure_tools() -> None:
    missing = [
        package
        for command, package in (
            ("wrk", "wrk"),
            ("pg_ctlcluster", "postgresql"),
            ("redis-server", "redis-server"),
        )
        if shutil.which(command) is None
    ]
    if missing:
        apt_install(missing)


def ensure_services(processes: Processes) -> None:
    """PostgreSQL and Redis, started the way .ci/run starts them when they are down."""
    if run(["pg_isready", "-h", HOST, "-p", "5432", "-q"], check=False).returncode != 0:
        log("starting PostgreSQL")
        run(["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "start"])
        processes.services.append("postgresql")
    if run(["redis-cli", "-h", HOST, "-p", "6379", "ping"], check=False).returncode != 0:
        log("starting Redis")
        run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                HOST,
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
            ]
        )
        processes.services.append("redis")
    for _ in range(30):
        pg = run(["pg_isready", "-h", HOST, "-p", "5432", "-q"], check=False).returncode == 0
        redis = run(["redis-cli", "-h", HOST, "-p", "6379", "ping"], check=False).returncode == 0
        if pg and redis:
            return
        time.sleep(1)
    raise RuntimeError("PostgreSQL or Redis did not come up")


def psql(sql: str, database: str = "postgres") -> str:
    command = ["psql", "-h", HOST, "-U", "postgres", "-d", database, "-tAc", sql]
    return run(command).stdout.strip()


def ensure_database(config: Config) -> None:
    # The name is ours (a constant), not input.
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{config.database}'")  # noqa: S608
    if exists != "1":
        log(f"creating database {config.database}")
        run(["createdb", "-h", HOST, "-U", "postgres", config.database])


# --- Django ------------------------------------------------------------------------------


def django_env(config: Config, *, cache: bool = True, port: int | None = None) -> dict[str, str]:
    """The production configuration on loopback: DEBUG off, SECURE off (plain HTTP)."""
    env = {
        key: value
        for key, value in os.environ.items()
        # Only what this run decides: nothing from a developer's shell may leak in.
        if key in PASS_THROUGH
        or (
            not key.startswith(("API_THROTTLE_", "CATALOG_CACHE", "GUNICORN_", "DJANGO_"))
            and key not in ("PORT", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL")
        )
    }
    env.update(
        {
            "DJANGO_ENV": "production",
            "DEBUG": "false",
            "SECURE": "false",
            # Not the developer's .env: this run decides every setting that matters.
            "ENV_FILE": os.devnull,
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": HOST,
            "SITE_URL": f"http://{HOST}:{port or config.port}",
            "DATABASE_URL": PG_URL.format(db=config.database),
            "REDIS_URL": f"redis://{HOST}:6379/{REDIS_DB}",
            "CELERY_BROKER_URL": f"redis://{HOST}:6379/{REDIS_DB}",
            "EMAIL_URL": "filemail://",
            "VAR_DIR": str(VAR),
            "MEDIA_ROOT": str(VAR / "media"),
            "SERVE_MEDIA": "false",
            "LOG_LEVEL": "WARNING",
            "CATALOG_CACHE": "true" if cache else "false",
            "GUNICORN_BIND": f"{HOST}:{port or config.port}",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            **THROTTLES,
        }
    )
    return env


SECRET_KEY = secrets.token_urlsafe(50)


def manage(config: Config, *args: str, timeout: float = 900) -> str:
    command = [sys.executable, "manage.py", *args]
    return run(command, env=django_env(config), timeout=timeout).stdout


def prepare_database(config: Config) -> dict[str, Any]:
    ensure_database(config)
    log("migrate")
    manage(config, "migrate", "--noinput")
    if static_stale():
        log("collectstatic (hashed names, gzip and brotli: about half a minute)")
        manage(config, "collectstatic", "--noinput", "--verbosity", "0")
    seeded = int(
        psql(
            "SELECT count(*) FROM catalog_product WHERE slug NOT LIKE 'bench-flash-sale-%'",
            config.database,
        )
    )
    seed_seconds = None
    if seeded == 0:
        log(f"seeding {config.products:,} products (once; about a minute)")
        started = time.monotonic()
        manage(config, "seed_catalog", "--products", str(config.products))
        seed_seconds = round(time.monotonic() - started, 1)
    elif seeded != config.products:
        raise RuntimeError(
            f"{config.database} holds {seeded:,} products, not {config.products:,}. Drop it "
            f"(dropdb -h {HOST} -U postgres {config.database}) to seed again."
        )
    else:
        log(f"{config.database} already holds {seeded:,} products: not seeding")
    manage(config, "seed_shipping_methods")
    # Planner statistics and the visibility map, as autovacuum keeps them in production
    # (it is off on some machines: this one's PostgreSQL had never vacuumed the variants).
    # Without statistics the listing's cover-image query scans the whole image table;
    # without the visibility map no index-only scan pays off, and a category's option
    # facets become a scan of every variant.
    psql("VACUUM (ANALYZE)", config.database)
    return {"seed_seconds": seed_seconds}


def static_stale() -> bool:
    """Whether collectstatic must run: no manifest, or a source newer than it."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return True
    sources = [
        ROOT / "requirements.txt",
        *ROOT.glob("static/**/*"),
        *ROOT.glob("apps/*/static/**/*"),
    ]
    newest = max((path.stat().st_mtime for path in sources if path.is_file()), default=0)
    return newest > manifest.stat().st_mtime


def prepare_data(config: Config, run_id: str, password: str) -> dict[str, Any]:
    DATA.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "bench/prepare.py",
        "setup",
        "--out",
        str(DATA),
        "--buyers",
        str(config.buyers),
        "--stock",
        str(config.flash_stock),
        "--urls",
        str(config.urls),
        "--seed",
        str(config.seed),
        "--run-id",
        run_id,
        "--password",
        password,
    ]
    summary = last_json(run(command, env=django_env(config)).stdout)
    (DATA / "summary.json").write_text(json.dumps(summary))
    return summary


def query_counts(config: Config, names: list[str]) -> dict[str, Any]:
    """SQL queries per request (Django's test client against the bench database)."""
    counts: dict[str, Any] = {}
    for mode, cache in (("cold", False), ("warm", True)):
        command = [
            sys.executable,
            "bench/prepare.py",
            "queries",
            "--out",
            str(DATA),
            "--names",
            ",".join(names),
            "--seed",
            str(config.seed),
        ]
        if cache:
            command.append("--second")
        result = run(command, env=django_env(config, cache=cache), check=False)
        try:
            counts[mode] = last_json(result.stdout)
        except (RuntimeError, json.JSONDecodeError):
            counts[mode] = {"error": (result.stderr or result.stdout)[-500:]}
    return counts


# --- HTTP from Python (setup and warm-up only; the load itself is wrk) --------------------


def fetch(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    timeout: float = 30,
) -> tuple[int, Message, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def wait_healthy(port: int, process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited ({process.returncode}); see {LOGS / name}.log")
        try:
            if fetch(port, "GET", "/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{name} did not answer /healthz on port {port}")


def parallel(function: Any, items: list[Any], workers: int = 8) -> list[Any]:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
    try:
        return list(pool.map(function, items))
    finally:
        # On Ctrl-C or an error, drop what has not started instead of finishing it.
        pool.shutdown(wait=False, cancel_futures=True)


def warm_up(
    port: int, name: str, paths: list[str], accept: str | None, budget: float
) -> dict[str, Any]:
    """Requests the paths once each, in list order, until done or `budget` seconds pass.

    The measured run then picks from the paths warmed here (written to NAME.warm.txt), so
    it reads what the warm-up cached however slow the uncached page is.
    """
    headers = {"Accept": accept} if accept else {}
    deadline = time.monotonic() + budget
    started = time.monotonic()

    def one(path: str) -> tuple[str, int]:
        if time.monotonic() > deadline:
            return path, -1
        try:
            return path, fetch(port, "GET", path, headers=headers)[0]
        except OSError:
            return path, 0

    results = parallel(one, paths, workers=6)
    warmed = [path for path, status in results if 200 <= status < 400]
    (DATA / f"{name}.warm.txt").write_text("".join(f"{path}\n" for path in warmed))
    statuses = collections.Counter(status for _, status in results if status != -1)
    return {
        "listed": len(paths),
        "urls": len(warmed),
        "seconds": round(time.monotonic() - started, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def obtain_tokens(config: Config, emails: list[str], password: str) -> list[str]:
    """One knox token per buyer, through POST /api/v1/auth/token/ as a client would."""

    def one(email: str) -> str:
        status, _, body = fetch(
            config.port,
            "POST",
            "/api/v1/auth/token/",
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            body=json.dumps({"email": email, "password": password}),
        )
        if status != 200:
            raise RuntimeError(f"token for {email}: {status} {body[:300]!r}")
        return str(json.loads(body)["token"])

    return parallel(one, emails, workers=4)


def cookie_value(headers: Message, name: str) -> str | None:
    for header in headers.get_all("Set-Cookie") or []:
        match = re.match(rf"{name}=([^;]*)", header)
        if match:
            return match.group(1)
    return None


FORM_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def make_shoppers(config: Config, products: list[str], variants: list[str]) -> list[str]:
    """Anonymous shoppers as a browser makes them: product page, then a first add."""

    def one(index: int) -> str:
        status, headers, body = fetch(config.port, "GET", products[index % len(products)])
        csrf = cookie_value(headers, "csrftoken")
        form = FORM_TOKEN.search(body)
        if status != 200 or not csrf or not form:
            raise RuntimeError(f"product page for a shopper: {status}, no CSRF token")
        token = form.group(1).decode()
        status, headers, _ = fetch(
            config.port,
            "POST",
            "/cart/add/",
            headers={
                "Cookie": f"csrftoken={csrf}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            body=f"csrfmiddlewaretoken={token}&variant={variants[index % len(variants)]}"
            "&quantity=1",
        )
        cart = cookie_value(headers, "cart")
        if status != 302 or not cart:
            raise RuntimeError(f"first add to cart: {status}, no cart cookie")
        return f"{csrf}\t{token}\t{cart}"

    return parallel(one, list(range(config.shoppers)), workers=4)


def collect_etags(config: Config) -> dict[str, Any]:
    """The ETag of each API URL of the revalidation scenario, fetched just before it."""
    half = config.revalidate_urls // 2
    paths = warmed_lines("api_list")[:half] + warmed_lines("api_detail")[:half]

    def one(path: str) -> tuple[str, str, int]:
        status, headers, _ = fetch(config.port, "GET", path, headers={"Accept": "application/json"})
        return path, headers.get("ETag", "") or "", status

    rows = parallel(one, paths)
    (DATA / "revalidate.txt").write_text("".join(f"{p}\t{etag}\n" for p, etag, _ in rows))
    return {
        "urls": len(rows),
        "with_etag": sum(1 for _, etag, _ in rows if etag),
        "statuses": dict(collections.Counter(str(s) for _, _, s in rows)),
    }


def read_lines(name: str) -> list[str]:
    return [line for line in (DATA / f"{name}.txt").read_text().splitlines() if line]


def warmed_lines(name: str) -> list[str]:
    """The paths the warm-up cached, or all of them if this run warmed none."""
    warm = DATA / f"{name}.warm.txt"
    return read_lines(f"{name}.warm") if warm.exists() else read_lines(name)


# --- scenarios ---------------------------------------------------------------------------


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
             query_key="search"),
    Scenario("cart", "Add to cart + cart page", "cart.lua", min_ratio=0.1,
             one_per_thread=True),
    Scenario("flash", "Flash sale (API add + checkout)", "flash.lua", one_per_thread=True),
    Scenario("floor_end", "/healthz (floor, end)", "urls.lua", urls="healthz"),
]  # fmt: skip


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


# --- profiling (after the measured runs, so py-spy's own CPU use skews nothing) ----------


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []


def profile(
    config: Config,
    scenario: Scenario,
    master: int,
    processes: Processes,
    extra_env: dict[str, str],
) -> dict[str, Any]:
    """Samples every gunicorn worker with py-spy while the scenario's load runs again."""
    spy = BIN / "py-spy"
    if not spy.exists():
        run([sys.executable, "-m", "pip", "install", "--quiet", "py-spy"], check=False)
    if not spy.exists():
        return {"error": "py-spy could not be installed"}
    seconds = max(6, min(config.duration, 10))
    out = LOGS / f"profile-{scenario.key}.txt"
    spy_process = processes.start(
        f"py-spy-{scenario.key}",
        [str(spy), "record", "--pid", str(master), "--subprocesses", "--duration",
         str(seconds), "--rate", "50", "--format", "raw", "--output", str(out), "--nonblocking"],
        env=dict(os.environ),
    )  # fmt: skip
    time.sleep(1)
    wrk(config, scenario, duration=seconds, processes=processes, extra_env=extra_env)
    try:
        spy_process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        processes.stop(spy_process)
    if not out.exists():
        return {"error": f"py-spy wrote nothing; see {LOGS}/py-spy-{scenario.key}.log"}
    return summarise_profile(out)


def summarise_profile(path: Path, top: int = 10) -> dict[str, Any]:
    """Share of samples spent inside each of the most expensive project/library frames."""
    inclusive: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame for frame in stack.split(";") if not frame.startswith("process ")]
        if not frames:
            continue
        total += count
        leaf[short_frame(frames[-1])] += count
        for name in {short_frame(frame) for frame in frames}:
            inclusive[name] += count
    if not total:
        return {"samples": 0}

    # The project's own frames, and the library frames that name a kind of work; the
    # layers in between (middleware, template nodes, client internals) add nothing.
    library = (
        "render (django/shortcuts.py)", "SQLCompiler.execute_sql (", "RedisCache.get (",
        "RedisCache.set (", "RedisCache.get_many (", "RedisCache.incr (",
        "Serializer.to_representation (", "Request._authenticate (", "Request.user (",
        "SessionBase._get_session (", "get_token (django/middleware/csrf.py)",
        "transaction.py", "apps.py",
    )  # fmt: skip

    def interesting(name: str) -> bool:
        project = re.search(r"\((apps|config)/", name) is not None
        return (project and "middleware" not in name) or any(key in name for key in library)

    return {
        "samples": total,
        "inclusive": [
            (name, round(100 * count / total, 1))
            for name, count in inclusive.most_common(60)
            if interesting(name)
        ][:top],
        "self": [(name, round(100 * count / total, 1)) for name, count in leaf.most_common(top)],
    }


def short_frame(frame: str) -> str:
    # py-spy's raw frames look like "render (django/template/base.py:1016)".
    match = re.match(r"(.*?) \((.*?)(?::\d+)?\)$", frame)
    if not match:
        return frame
    function, filename = match.groups()
    for marker in ("site-packages/", "/work/main/", str(ROOT) + "/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
    return f"{function} ({filename})"


# --- report ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text()
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))  # type: ignore[union-attr]
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    os_release = Path("/etc/os-release").read_text()
    pretty = re.search(r'PRETTY_NAME="(.+)"', os_release)
    return {
        "cores": os.cpu_count(),
        "cpu": model.group(1).strip() if model else platform.processor(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "os": pretty.group(1) if pretty else platform.platform(),
        "kernel": platform.release(),
    }


def versions(config: Config) -> dict[str, str]:
    def first_line(command: list[str]) -> str:
        result = run(command, check=False)
        return ((result.stdout or result.stderr).strip().splitlines() or ["?"])[0]

    import django

    redis_info = run(["redis-cli", "-h", HOST, "-p", "6379", "INFO", "server"]).stdout
    redis_version = re.search(r"redis_version:(\S+)", redis_info)
    gunicorn = re.search(r"(\d+(?:\.\d+)+)", first_line([str(BIN / "gunicorn"), "--version"]))
    wrk_version = re.search(r"wrk (\S+)", first_line(["wrk", "-v"]))
    return {
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "PostgreSQL": psql("SHOW server_version", config.database),
        "Redis": redis_version.group(1) if redis_version else "?",
        "gunicorn": gunicorn.group(1) if gunicorn else "?",
        "Celery": first_line([str(BIN / "celery"), "--version"]),
        "wrk": wrk_version.group(1) if wrk_version else "?",
    }


def git_state() -> str:
    head = run(["git", "rev-parse", "--short", "HEAD"], check=False).stdout.strip() or "?"
    dirty = run(["git", "status", "--porcelain", "--untracked-files=no"], check=False).stdout
    return f"{head}{' plus uncommitted changes' if dirty.strip() else ''}"


def exact_command() -> str:
    overrides = " ".join(
        f"{key}={value}"
        for key, value in sorted(os.environ.items())
        if key.startswith("BENCH_") or key in PASS_THROUGH
    )
    base = "make bench" if os.environ.get("MAKELEVEL") else "python bench/run.py"
    return f"{overrides} {base}".strip()


def ratio_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}x"


def verdict(scenario: Scenario, result: dict[str, Any], floor: dict[str, Any],
            queries: dict[str, Any]) -> str:  # fmt: skip
    if scenario.key == "flash":
        return flash_verdict(result)
    problems: list[str] = []
    checked = False
    ratio = result["rps"] / floor["rps"] if floor.get("rps") else None
    if scenario.min_ratio is not None and ratio is not None:
        checked = True
        if ratio < scenario.min_ratio:
            short = 100 * (1 - ratio / scenario.min_ratio)
            problems.append(
                f"{ratio:.2f}x < {scenario.min_ratio}x ({short:.0f}% short; needs "
                f"{scenario.min_ratio * floor['rps']:.0f} req/s)"
            )
    if scenario.p99_factor is not None and floor.get("p99_ms"):
        checked = True
        limit = scenario.p99_factor * floor["p99_ms"]
        if result["p99_ms"] > limit:
            problems.append(
                f"p99 {result['p99_ms']:.0f} ms > {scenario.p99_factor:g}x floor p99 "
                f"({limit:.0f} ms)"
            )
    if scenario.max_queries is not None and scenario.query_key:
        cold = queries.get("cold", {}).get(scenario.query_key, {})
        if cold.get("max") is not None:
            checked = True
            if cold["max"] > scenario.max_queries:
                problems.append(f"{cold['max']} queries > {scenario.max_queries}")
    if result["errors_total"]:
        problems.append(f"{result['errors_total']} errors")
    if not checked:
        return "no target" + (f"; {problems[-1]}" if problems else "")
    return "met" if not problems else "MISSED: " + "; ".join(problems)


def flash_verdict(result: dict[str, Any]) -> str:
    sale = result.get("sale", {})
    problems = []
    if sale.get("orders_per_s", 0) < 100:
        problems.append(f"{sale.get('orders_per_s', 0):.0f} orders/s < 100")
    if sale.get("oversell", 1):
        problems.append(f"oversell {sale.get('oversell')}")
    if not sale.get("stock_consistent"):
        problems.append("final stock inconsistent")
    if result["5xx"]:
        problems.append(f"{result['5xx']} 5xx")
    return "met" if not problems else "MISSED: " + "; ".join(problems)


def fmt_ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def results_table(ran: list[tuple[Scenario, dict[str, Any]]], floor: dict[str, Any],
                  queries: dict[str, Any]) -> list[str]:  # fmt: skip
    rows = [
        "| Scenario | Server | URLs | req/s | x floor | p50 ms | p99 ms | Errors | "
        "Other load | Queries/req (cold / warm, max) | Target | Result |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for scenario, result in ran:
        ratio = result["rps"] / floor["rps"] if floor.get("rps") else None
        target = []
        if scenario.min_ratio is not None:
            target.append(f"≥ {scenario.min_ratio}x floor")
        if scenario.p99_factor is not None:
            target.append(f"p99 ≤ {scenario.p99_factor:g}x floor")
        if scenario.max_queries is not None:
            target.append(f"≤ {scenario.max_queries} queries")
        if scenario.key == "flash":
            target.append("≥ 100 orders/s, 0 oversell, 0 5xx")
        qkey = scenario.query_key or (scenario.urls if scenario.urls in QUERY_NAMES else None)
        qtext = "—"
        if qkey:
            cold = queries.get("cold", {}).get(qkey, {}).get("max")
            warm = queries.get("warm", {}).get(qkey, {}).get("max")
            qtext = f"{cold if cold is not None else '?'} / {warm if warm is not None else '?'}"
        errors = str(result["errors_total"])
        if result["errors_total"]:
            floor_status = 500 if scenario.key == "flash" else 400
            detail = {str(k): v for k, v in result["statuses"].items() if k >= floor_status}
            if scenario.key == "flash":
                extra = result.get("extra", {})
                detail.update({k: int(v) for k, v in extra.items() if "_other_" in k})
            detail.update({k: v for k, v in result["socket_errors"].items() if v})
            errors += f" ({', '.join(f'{k}: {v}' for k, v in detail.items())})"
        server = {"warm": "cache on", "cold": "cache off"}[scenario.server]
        rows.append(
            f"| {scenario.label} | {server} | {urls_text(scenario, result)} | "
            f"{result['rps']:.0f} | {ratio_text(ratio)} | "
            f"{fmt_ms(result['p50_ms'])} | {fmt_ms(result['p99_ms'])} | {errors} | "
            f"{result.get('other_cpu_pct', 0):.0f}% | {qtext} | "
            f"{', '.join(target) or '—'} | {verdict(scenario, result, floor, queries)} |"
        )
    return rows


def urls_text(scenario: Scenario, result: dict[str, Any]) -> str:
    if scenario.key == "cart":
        return "shoppers x variants"
    if scenario.key == "flash":
        return "1 variant"
    return f"{result['urls']:,}" if result.get("urls") else "—"


QUERY_NAMES = ["home", "category", "product", "search", "api_list", "api_detail"]


def write_report(
    config: Config,
    context: dict[str, Any],
    ran: list[tuple[Scenario, dict[str, Any]]],
    queries: dict[str, Any],
    profiles: dict[str, Any],
) -> str:
    by_key = {scenario.key: result for scenario, result in ran}
    floor = reference_floor(ran)
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (bench/run.py); every number below comes from the run "
        "it describes. Re-run to refresh.",
        "",
        f"- **Date**: {context['date']}",
        f"- **Command**: `{context['command']}`",
        f"- **Code**: commit {context['git']}",
        f"- **Machine**: {context['machine']['cores']} cores ({context['machine']['cpu']}), "
        f"{context['machine']['memory_gib']} GiB memory, {context['machine']['os']}, "
        f"kernel {context['machine']['kernel']}; load average "
        f"{context['load_before']} before the run, {context['load_after']} after",
        "- **Versions**: "
        + ", ".join(f"{name} {version}" for name, version in context["versions"].items()),
        f"- **Duration**: {config.duration} s per scenario (the flash sale: until sold out plus "
        f"{config.flash_after} s, {config.flash_duration} s at most), {config.connections} "
        "connections, one wrk thread per connection (see "
        f"notes); the whole run took {context['elapsed']}",
        "",
        "## Settings",
        "",
        "| Setting | Value |",
        "| --- | --- |",
        f"| Web server | gunicorn with config/gunicorn.conf.py: {context['workers']} sync workers, "
        f"1 thread each (WEB_CONCURRENCY {'set to ' + os.environ['WEB_CONCURRENCY'] if os.environ.get('WEB_CONCURRENCY') else 'unset: 2 x cores + 1'}) |",  # noqa: E501
        f"| Background | Celery worker on Redis, concurrency {context['celery_concurrency']} "
        "(the Procfile's command; no beat) |",
        "| Django | DJANGO_ENV=production, DEBUG off, generated SECRET_KEY, "
        "ALLOWED_HOSTS=127.0.0.1, SECURE off (plain HTTP on loopback: no TLS redirect, no "
        "Secure cookies; everything else as in production) |",
        f"| Services | PostgreSQL database `{config.database}` ({context['products']:,} "
        f"products, {context['variants']:,} variants, {context['categories']} categories with "
        f"products; `VACUUM (ANALYZE)` before the run, as autovacuum keeps it in production), "
        f"Redis db {REDIS_DB} for cache, sessions, throttles and the broker (flushed before "
        "the run) |",
        f"| Catalog cache | CATALOG_CACHE=true on port {config.port}; the cold scenarios use a "
        f"second server on port {config.cold_port} with CATALOG_CACHE=false |",
        "| Rate limits (**raised for the run**) | "
        + ", ".join(
            f"{key}={value} (shipped {SHIPPED_THROTTLES[key]})" for key, value in THROTTLES.items()
        )
        + " |",
        "| Logging | LOG_LEVEL=WARNING: the one-line-per-request JSON log is silenced |",
        "| Set for this run | "
        + (
            ", ".join(f"{key}={os.environ[key]}" for key in PASS_THROUGH if os.environ.get(key))
            or "nothing else: gunicorn and Celery as shipped (app preloaded, "
            "GUNICORN_MAX_REQUESTS 20000)"
        )
        + " |",
        "",
        "## Results",
        "",
        "Ratios are to the better of this run's two `/healthz` floors (first and last "
        f"scenario): {floor.get('rps', 0):.0f} req/s, p99 {fmt_ms(floor.get('p99_ms', 0))} ms, "
        "so that a slow moment of the shared machine during one of them cannot make the "
        "other scenarios look better. Errors are answers ≥ 400 plus socket errors "
        "(connect, read, write, timeout); for the flash sale, sold-out refusals are the "
        "expected answer and are counted apart (below). Other load: the share of the "
        "machine's cores used during the scenario by processes that are not the bench's "
        "(this machine is shared; PostgreSQL and Redis are counted as the bench's), from "
        "/proc.",
        "",
        *results_table(ran, floor, queries),
        "",
    ]
    flash = by_key.get("flash")
    if flash:
        lines += flash_section(config, flash)
    lines += notes_section(config, context, by_key, queries)
    if profiles:
        lines += profile_section(profiles)
    text = "\n".join(lines).rstrip() + "\n"
    config.output.parent.mkdir(parents=True, exist_ok=True)
    config.output.write_text(text)
    return text


def flash_section(config: Config, flash: dict[str, Any]) -> list[str]:
    sale = flash.get("sale", {})
    extra = flash.get("extra", {})
    classes = flash.get("classes", {})

    def klass(name: str) -> str:
        data = classes.get(name)
        if not data:
            return "none"
        return (
            f"{int(data['count'])} answers, p50 {data['p50_us'] / 1000:.1f} ms, "
            f"p99 {data['p99_us'] / 1000:.1f} ms"
        )

    others = {k: int(v) for k, v in extra.items() if "_other_" in k}
    return [
        "## Flash sale",
        "",
        f"{config.buyers} buyers, each with its own API token (obtained through "
        f"POST /api/v1/auth/token/ before the run), on {config.connections} connections: add "
        f"one unit of the sale variant ({config.flash_stock:,} units) to the cart, POST "
        "/api/v1/checkout/ with a fresh Idempotency-Key, next buyer; on after the sell-out.",
        "",
        "| Measure | Value |",
        "| --- | --- |",
        f"| Orders placed (database) | {sale.get('orders')} ({sale.get('units_sold')} units, "
        f"{sale.get('distinct_buyers')} buyers); wrk saw {int(extra.get('orders', 0))} "
        "201 answers (wrk does not count answers to requests still in flight when it stops) |",
        f"| Orders/s | **{sale.get('orders_per_s', 0):.0f}** ({sale.get('selling_window')}) |",
        f"| Sold out after | {sale.get('sold_out_after')} |",
        f"| Oversell | **{sale.get('oversell')}** (units sold - {config.flash_stock:,}, if "
        "positive) |",
        f"| Final stock | **{sale.get('final_stock')}** (= {config.flash_stock:,} - units "
        f"sold: {'yes' if sale.get('stock_consistent') else 'NO'}; sum of stock movements "
        f"{sale.get('movements_total')}) |",
        f"| 5xx | **{flash['5xx']}** |",
        f"| Database sessions waiting for a lock while it sold (pg_stat_activity) | "
        f"{sale.get('lock_waits', 'not sampled')} |",
        f"| Add to cart, accepted | {klass('add')} |",
        f"| Checkout, order placed | {klass('checkout')} |",
        f"| Sold-out answers (add 400, checkout 409) | {klass('sold_out')} |",
        f"| Other answers | {others or 'none'} |",
        f"| Confirmation e-mails sent by the worker by the end | {sale.get('emails_sent')} of "
        f"{sale.get('emails_total')} |",
        "",
    ]


def notes_section(
    config: Config, context: dict[str, Any], by_key: dict[str, Any], queries: dict[str, Any]
) -> list[str]:
    floor_wrk = by_key.get("floor") or {"wrk_p50_ms": 0, "wrk_p99_ms": 0, "p50_ms": 0, "p99_ms": 0}
    notes = [
        "## Notes",
        "",
        "- **URLs**: each scenario picks at random, per request, from a list written from "
        f"the database before the run (seed {config.seed}, so every run uses the same lists): "
        + ", ".join(f"{name} {count:,}" for name, count in context["url_counts"].items())
        + ". Category URLs mix page numbers (half page 1, some up to the last page) and "
        "sort orders; search words come from real titles and brands, one in ten misspelt. "
        "Home is one URL by nature.",
        "- **Warm-up**: before the cached scenarios the URLs of their lists were requested "
        f"once each, in list order, for at most {config.warmup_seconds} s per list (6 "
        "connections); the measured run then picks only from the URLs warmed (the URLs "
        "column), so it reads what the warm-up cached: "
        + "; ".join(
            f"{name} {info['urls']:,} of {info['listed']:,} in {info['seconds']} s "
            f"(answers {info['statuses']})"
            for name, info in context["warmup"].items()
        )
        + ". A list not warmed in full means its uncached page is slow: that many misses in "
        "that time, while the machine was also serving nothing else of the bench. The cold "
        "server got a 3-second wrk run before each of its scenarios, so its workers had "
        "imported and compiled everything; its numbers are the database path, over the full "
        "lists.",
        f"- **Revalidation**: ETags fetched for {context['etags']['urls']} API URLs (half "
        f"lists, half details) just before the run; {context['etags']['with_etag']} came with "
        "an ETag. "
        + (
            "None did, so this scenario measured plain 200s, not 304s."
            if not context["etags"]["with_etag"]
            else "Answers: "
            + ", ".join(
                f"{status}: {count}"
                for status, count in sorted(
                    by_key.get("api_revalidate", {}).get("statuses", {}).items()
                )
            )
            + "."
        ),
        "- **Cart**: anonymous shoppers made over HTTP before the run as a browser makes "
        "them (a product page for the CSRF cookie and form token, then a first add for the "
        f"cart cookie); {config.shoppers} of them, taken in turn. Each adds a random in-stock "
        "variant (POST /cart/add/, 302) then opens /cart/ with the message cookie of that "
        "add, three times, then the next shopper starts. The redirect target (the product "
        "page) is not followed. wrk shows Lua only the last Set-Cookie of an answer, which "
        "is why the cart cookie comes from the setup and not from the add itself. "
        + cart_note(by_key.get("cart")),
        "- **Latency is timed by the Lua scripts**, from the moment wrk asks for a request "
        "to the end of its answer (TCP connect not included, as in wrk). gunicorn's sync "
        "workers answer `Connection: close`, so wrk opens a new connection for every "
        "request, and wrk's own histogram is wrong on such connections: for this run's "
        f"floor it said p50 {fmt_ms(floor_wrk['wrk_p50_ms'])} ms, p99 "
        f"{fmt_ms(floor_wrk['wrk_p99_ms'])} ms, against {fmt_ms(floor_wrk['p50_ms'])} and "
        f"{fmt_ms(floor_wrk['p99_ms'])} ms timed request by request. Timing each request "
        "needs one connection per wrk thread (wrk gives each thread one Lua state), which "
        "also lets the cart and flash-sale scripts follow a shopper's own last answer (add, "
        "then the cart page; add, then checkout). wrk's threads mostly sleep in epoll.",
        "- **Worker recycling**: the shipped config restarts a gunicorn worker after "
        "GUNICORN_MAX_REQUESTS requests (20000 unless set, plus up to a tenth of jitter); "
        "the app is preloaded in gunicorn's master, so a new worker is a fork and costs no "
        "import. At this run's floor rate that is a restart every "
        f"{recycle_note(context, by_key)}; "
        "the slower scenarios recycle proportionally less.",
        "- **Query counts** are measured separately with Django's test client against the "
        "same database (a sample of 10 URLs per scenario; cold: CATALOG_CACHE=false; warm: "
        "the second request of each URL with the cache on); the maximum is shown.",
        "- **Shared machine**: wrk, PostgreSQL, Redis, the Celery worker and both gunicorn "
        "servers share the same cores (the idle one costs nothing but memory). The "
        "`/healthz` floor was measured again at the end "
        + drift_note(by_key)
        + "; other work on the machine moves the absolute numbers, the ratios less so.",
    ]
    waits = {key: result.get("settled_after", 0) for key, result in by_key.items()}
    notes.append(
        "- **Between scenarios** the run waits until the database has run no query for 2 s "
        "(gunicorn still answers what was queued when wrk stopped); waits over a second: "
        + (", ".join(f"before {key} {wait} s" for key, wait in waits.items() if wait > 1) or "none")
        + "."
    )
    if context.get("seed_seconds"):
        notes.append(
            f"- **Seeding**: this run seeded the database ({context['seed_seconds']} s); later "
            "runs skip it."
        )
    if config.only:
        notes.append(
            f"- **Partial run**: only {', '.join(config.only)} (BENCH_ONLY); the floor is "
            "always measured."
        )
    if queries.get("cold", {}).get("error") or queries.get("warm", {}).get("error"):
        notes.append(f"- **Query counting failed**: {queries}")
    notes.append("")
    return notes


def reference_floor(ran: list[tuple[Scenario, dict[str, Any]]]) -> dict[str, Any]:
    """The /healthz run (first or last scenario) with more requests per second."""
    floors = [result for scenario, result in ran if scenario.key in ("floor", "floor_end")]
    return max(floors, key=lambda result: result["rps"], default={})


def recycle_note(context: dict[str, Any], by_key: dict[str, Any]) -> str:
    floor = by_key.get("floor")
    if not floor or not floor["rps"]:
        return "(no floor in this run)"
    workers = int(context["workers"])
    limit = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 20000)
    if limit <= 0:
        return "never (recycling switched off for this run)"
    average = limit + limit // 20  # gunicorn.conf.py: jitter up to a tenth of the limit
    return f"{average / floor['rps']:.1f} s somewhere among the {workers} workers"


def cart_note(cart: dict[str, Any] | None) -> str:
    if not cart:
        return ""
    extra = cart.get("extra", {})
    classes = cart.get("classes", {})
    parts = [
        f"This run: {int(extra.get('adds', 0))} adds accepted, "
        f"{int(extra.get('adds_refused', 0))} refused, "
        f"{int(extra.get('cart_pages', 0))} cart pages"
    ]
    for name, label in (("add", "add"), ("cart_page", "cart page")):
        data = classes.get(name)
        if data:
            parts.append(
                f"{label} p50 {data['p50_us'] / 1000:.1f} ms, p99 {data['p99_us'] / 1000:.1f} ms"
            )
    return "; ".join(parts) + "."


def drift_note(by_key: dict[str, Any]) -> str:
    start, end = by_key.get("floor"), by_key.get("floor_end")
    if not start or not end:
        return "(not in this run)"
    change = 100 * (end["rps"] / start["rps"] - 1) if start["rps"] else 0
    return (
        f"({end['rps']:.0f} req/s against {start['rps']:.0f} at the start, {change:+.0f}%; "
        "the ratios use the better of the two)"
    )


def profile_section(profiles: dict[str, Any]) -> list[str]:
    lines = [
        "## Where the time goes (py-spy, scenarios that missed a target)",
        "",
        "Each missed scenario was run again for a few seconds with py-spy sampling every "
        "worker of its gunicorn (`py-spy record --subprocesses --format raw`, 50 Hz), right "
        "after its measured run (so py-spy's own CPU use skews none of the numbers above, "
        "and the cache is as that run left it; the missed verdict is against the first "
        "floor, the only one measured by then). Shares "
        "are of the samples of busy workers (py-spy leaves out waits on sockets); inclusive ="
        " in that function or anything it called, for the project's own functions and the "
        "library calls that name a kind of work (template rendering, SQL, cache, DRF "
        "serialisation, authentication); self = the frame on top of the stack, where import "
        "frames are workers being recycled (see notes). Self time in redis-py's "
        "`send_packed_command` / `_read_from_socket` and psycopg's `_execute_send` / "
        "`Connection.wait` is mostly a worker waiting for Redis or PostgreSQL, which run on "
        "the same two cores: it counts round trips as much as work. The flash sale's "
        "variant is put back on sale (2,000 more units) for its profile run, which uses "
        "fresh idempotency keys; the Celery worker, sending the confirmations, is not "
        "sampled.",
        "",
    ]
    for key, data in profiles.items():
        lines.append(f"### {key}")
        lines.append("")
        if data.get("error") or not data.get("samples"):
            lines += [f"No profile: {data.get('error', 'no samples')}.", ""]
            continue
        lines.append(f"{data['samples']} samples. Inclusive:")
        lines.append("")
        lines += [f"- {share}% {name}" for name, share in data["inclusive"]]
        lines += ["", "Self (the frame on top of the stack):", ""]
        lines += [f"- {share}% {name}" for name, share in data["self"]]
        lines.append("")
    return lines


def print_table(ran: list[tuple[Scenario, dict[str, Any]]], floor: dict[str, Any],
                queries: dict[str, Any]) -> None:  # fmt: skip
    print()
    print(
        f"{'scenario':<34}{'req/s':>8}{'xfloor':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}  result"
    )
    for scenario, result in ran:
        ratio = result["rps"] / floor["rps"] if floor.get("rps") else None
        print(
            f"{scenario.label[:33]:<34}{result['rps']:>8.0f}{ratio_text(ratio):>8}"
            f"{result['p50_ms']:>9.1f}{result['p99_ms']:>9.1f}{result['errors_total']:>8}  "
            f"{verdict(scenario, result, floor, queries)}"
        )
    print()


# --- main --------------------------------------------------------------------------------


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


def bench(config: Config, processes: Processes, began: float) -> int:
    if not 8400 <= config.port < config.cold_port <= 8499:
        raise SystemExit("BENCH_PORT must leave room for two ports in 8400-8499.")
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    ensure_tools()
    ensure_services(processes)
    VAR.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(LOGS, ignore_errors=True)
    for stale in DATA.glob("*.warm.txt"):
        stale.unlink()
    shutil.rmtree(VAR / "mail", ignore_errors=True)
    context: dict[str, Any] = prepare_database(config)

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

    names = [name for name in QUERY_NAMES if name != "home"] + ["home"]
    log("counting SQL queries per request (Django test client)")
    queries = query_counts(config, names)
    log(f"queries: {json.dumps(queries)}")

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

    selected = [
        s
        for s in SCENARIOS
        if not config.only or s.key in config.only or s.key in ("floor", "floor_end")
    ]
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

    ran: list[tuple[Scenario, dict[str, Any]]] = []
    profiles: dict[str, Any] = {}
    for scenario in selected:
        extra_env: dict[str, str] = {}
        duration = config.duration
        settled = settle(config)
        if scenario.server == "cold":
            wrk(config, scenario, duration=3, processes=processes)
        if scenario.key == "cart":
            extra_env = {
                "BENCH_SHOPPERS_FILE": str(DATA / "shoppers.txt"),
                "BENCH_VARIANTS_FILE": str(DATA / "variants.txt"),
            }
        if scenario.key == "flash":
            duration = config.flash_duration
            extra_env = {
                "BENCH_BUYERS_FILE": str(DATA / "tokens.txt"),
                "BENCH_FLASH_VARIANT": str(summary["flash_variant"]),
                "BENCH_SHIPPING_METHOD": str(summary["shipping_method"]),
                "BENCH_RUN_ID": run_id,
            }
        stop_when = None
        lock_samples: list[tuple[int, int]] = []
        if scenario.key == "flash":
            variant_id = int(summary["flash_variant"])

            def sold_out(
                variant_id: int = variant_id, lock_samples: list[tuple[int, int]] = lock_samples
            ) -> bool:
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

            stop_when = sold_out
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
            time.sleep(5)
            result["sale"] = flash_outcome(config, result)
            if lock_samples:
                result["sale"]["lock_waits"] = (
                    f"{sum(w for w, _ in lock_samples) / len(lock_samples):.1f} of "
                    f"{sum(a for _, a in lock_samples) / len(lock_samples):.1f} active "
                    f"sessions on average ({len(lock_samples)} samples, one a second)"
                )
        log(
            f"  {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, p99 "
            f"{result['p99_ms']:.1f} ms, statuses {result['statuses']}, socket errors "
            f"{result['socket_errors']}" + (f", sale {result['sale']}" if "sale" in result else "")
        )
        ran.append((scenario, result))
        # Profiled right after its own run, while the cache is as the run left it (the
        # flash sale's stock changes invalidate the catalog cache). For the flash sale the
        # variant is first put back on sale (its measured numbers are counted by then) and
        # the profile run uses its own idempotency keys. Judged against the first floor,
        # the only one yet.
        missed = verdict(scenario, result, reference_floor(ran), queries).startswith("MISSED")
        if scenario.key == "flash":
            missed = flash_verdict(result).startswith("MISSED")
        if config.profile and missed:
            log(f"  profiling {scenario.key} with py-spy")
            if scenario.key == "flash":
                restock = [sys.executable, "bench/prepare.py", "restock", "--summary"]
                run([*restock, str(DATA / "summary.json")], env=django_env(config))
                extra_env = {**extra_env, "BENCH_RUN_ID": f"{run_id}-profile"}
            master = warm.pid if scenario.server == "warm" else cold.pid
            profiles[scenario.label] = profile(config, scenario, master, processes, extra_env)

    floor = reference_floor(ran)

    workers = os.environ.get("WEB_CONCURRENCY") or str((os.cpu_count() or 1) * 2 + 1)
    elapsed = time.monotonic() - began
    context.update(
        {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": exact_command(),
            "git": git_state(),
            "machine": machine(),
            "versions": versions(config),
            "load_before": load_before,
            "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "elapsed": f"{elapsed / 60:.1f} min",
            "workers": workers,
            "celery_concurrency": celery_concurrency,
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
    write_report(config, context, ran, queries, profiles)
    print_table(ran, floor, queries)
    shown = config.output.relative_to(ROOT) if config.output.is_relative_to(ROOT) else config.output
    log(f"wrote {shown} in {elapsed / 60:.1f} min")
    return 0


def flash_outcome(config: Config, result: dict[str, Any]) -> dict[str, Any]:
    command = [
        sys.executable,
        "bench/prepare.py",
        "verify",
        "--summary",
        str(DATA / "summary.json"),
        "--since",
        str(result["started"]),
    ]
    sale = last_json(run(command, env=django_env(config)).stdout)
    extra = result.get("extra", {})
    start = extra.get("first_request") or result["started"]
    last_order = extra.get("last_order")
    sold_out_at = extra.get("first_sold_out")
    sold_out = sale["final_stock"] == 0
    if sold_out and last_order:
        window = max(last_order - start, 1e-3)
        sale["selling_window"] = f"{sale['orders']} orders in {window:.1f} s, start to last order"
    else:
        window = result["seconds"]
        sale["selling_window"] = f"not sold out: {sale['orders']} orders in {window:.1f} s"
    sale["orders_per_s"] = sale["orders"] / window if window else 0.0
    sale["sold_out_after"] = (
        f"{sold_out_at - start:.1f} s (first sold-out answer)" if sold_out_at else "not sold out"
    )
    return sale


if __name__ == "__main__":
    sys.exit(main())
