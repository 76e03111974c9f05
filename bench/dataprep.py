"""A run's data: the database, URL lists, query counts, warm-up, tokens, shoppers, sale."""

from __future__ import annotations

import collections
import concurrent.futures
import http.client
import json
import re
import subprocess
import sys
import time
from email.message import Message
from typing import Any

from processes import ensure_database, last_json, psql, run
from settings import DATA, HOST, LOGS, ROOT, Config, django_env, log


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
