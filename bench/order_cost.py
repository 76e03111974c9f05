"""What one flash-sale order costs in one process: the API add and checkout, counted.

    .venv/bin/python bench/order_cost.py [--orders N] [--profile] [--show-sql]

Places N orders (default 300) the way the benchmark's buyers do (POST /api/v1/cart/items/
with a token, then POST /api/v1/checkout/ with a fresh Idempotency-Key) through Django's
WSGI handler in this process, with the production settings `make bench` uses, against its
database (`shopfront_bench`) and a Redis database of its own (11). Prints, per order: the
SQL statements sent (BEGIN, COMMIT and savepoints apart), the Redis round trips (a
command, a pipeline or a script call each), and the milliseconds of this process's CPU
and of wall time (medians), and the CPU that PostgreSQL's backend of this connection
spent on them (mean; it runs on this machine). The buyer and the variant are its own
(`bench-order-cost@bench.invalid`, a product `bench-flash-sale-order-cost-*` with enough
units), so a run touches nothing the benchmark reads. `--show-sql` prints one order's
statements; ORDER_COST_SORT=tottime sorts the profile by self time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import secrets
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]  # the project, and bench/settings.py beside this

from cost import answer_status  # noqa: E402
from settings import Config, django_env  # noqa: E402

COST_REDIS_DB = 11  # not the benchmark's: a run of `make bench` flushes that one
BUYER = "bench-order-cost@bench.invalid"
CHECKOUT_BODY = {
    "shipping_address": {
        "full_name": "Bench Buyer",
        "line1": "1 Load Street",
        "city": "London",
        "postal_code": "SW1A 1AA",
        "country": "GB",
    }
}


class Counts:
    """SQL statements and Redis round trips seen while `active`."""

    def __init__(self) -> None:
        self.sql: Counter[str] = Counter()
        self.redis: Counter[str] = Counter()
        self.statements: list[str] = []
        self.active = False

    def reset(self) -> None:
        self.sql.clear()
        self.redis.clear()
        self.statements.clear()


def instrument(counts: Counts) -> None:
    """Counts every statement psycopg sends and every Redis round trip redis-py makes."""
    from django.db import connection
    from redis.client import Pipeline, Redis

    def sql(execute: Callable[..., Any], statement: str, *args: Any) -> Any:
        if counts.active:
            word = statement.split(None, 1)[0].upper()
            counts.sql["transaction" if word in _TRANSACTION_WORDS else "statement"] += 1
            counts.statements.append(statement)
        return execute(statement, *args)

    connection.execute_wrappers.append(sql)
    # Django sends BEGIN through psycopg's autocommit switch, not a cursor: count those too.
    original_set_autocommit = connection._set_autocommit

    def set_autocommit(autocommit: bool) -> None:
        if counts.active:
            counts.sql["transaction"] += 1
        original_set_autocommit(autocommit)

    connection._set_autocommit = set_autocommit  # type: ignore[method-assign]

    original_command = Redis.execute_command
    original_pipeline = Pipeline.execute

    def command(self: Redis, *args: Any, **options: Any) -> Any:
        if counts.active and not isinstance(self, Pipeline):
            counts.redis[str(args[0])] += 1
        return original_command(self, *args, **options)

    def pipeline(self: Pipeline, *args: Any, **options: Any) -> Any:
        if counts.active:
            counts.redis["pipeline"] += 1
        return original_pipeline(self, *args, **options)

    Redis.execute_command = command  # type: ignore[method-assign]
    Pipeline.execute = pipeline  # type: ignore[method-assign]


_TRANSACTION_WORDS = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    parser.add_argument("--show-sql", action="store_true", help="print one order's SQL")
    args = parser.parse_args()

    env = django_env(Config())
    redis_url = env["REDIS_URL"].rsplit("/", 1)[0] + f"/{COST_REDIS_DB}"
    os.environ.update(env | {"REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.client import RequestFactory

    token, variant_id, method_id = _buyer_and_variant(args.orders * 2 + 5)
    handler = WSGIHandler()
    factory = RequestFactory()
    headers = {"HTTP_HOST": env["ALLOWED_HOSTS"], "HTTP_AUTHORIZATION": f"Token {token}"}
    add_body = json.dumps({"variant": variant_id, "quantity": 1})
    checkout_body = json.dumps(CHECKOUT_BODY | {"shipping_method": method_id})

    def post(path: str, body: str, **extra: str) -> str:
        request = factory.post(path, body, content_type="application/json", **headers, **extra)
        return answer_status(handler, request.environ)

    def order() -> None:
        started = time.process_time()
        added = post("/api/v1/cart/items/", add_body)
        between = time.process_time()
        placed = post("/api/v1/checkout/", checkout_body, HTTP_IDEMPOTENCY_KEY=secrets.token_hex(8))
        if counts.active:
            split["add"].append(between - started)
            split["checkout"].append(time.process_time() - between)
        if not (added.startswith("201") and placed.startswith("201")):
            raise SystemExit(f"add answered {added}, checkout {placed}")

    counts = Counts()
    instrument(counts)
    order()
    order()  # warm: everything imported, connections open
    sql: list[int] = []
    transaction: list[int] = []
    redis: list[int] = []
    cpu: list[float] = []
    wall: list[float] = []
    split: dict[str, list[float]] = {"add": [], "checkout": []}
    redis_kinds: Counter[str] = Counter()
    backend = _backend_pid()
    backend_before = _cpu_seconds(backend)
    for _ in range(args.orders):
        counts.reset()
        counts.active = True
        started, started_cpu = time.perf_counter(), time.process_time()
        order()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        counts.active = False
        sql.append(counts.sql["statement"])
        transaction.append(counts.sql["transaction"])
        redis.append(sum(counts.redis.values()))
        redis_kinds.update(counts.redis)
    backend_ms = (_cpu_seconds(backend) - backend_before) * 1000 / args.orders
    print(f"PostgreSQL's backend for this process: {backend_ms:.2f} ms CPU per order (mean)")
    print(
        f"per order (API add + checkout, median of {args.orders}): "
        f"{statistics.median(sql)} SQL statements + {statistics.median(transaction)} "
        f"BEGIN/COMMIT/savepoints, {statistics.median(redis)} Redis round trips, "
        f"{statistics.median(cpu) * 1000:.2f} ms CPU in this process, "
        f"{statistics.median(wall) * 1000:.2f} ms wall"
    )
    print(
        "CPU, median: "
        + ", ".join(f"{name} {statistics.median(v) * 1000:.2f} ms" for name, v in split.items())
    )
    print(
        "Redis, per order: "
        + ", ".join(f"{name} {n / args.orders:g}" for name, n in redis_kinds.most_common())
    )
    if args.show_sql:
        counts.reset()
        counts.active = True
        order()
        counts.active = False
        for statement in counts.statements:
            print("  ", statement[:160])
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [order() for _ in range(args.orders)])
        pstats.Stats(profiler).sort_stats(
            os.environ.get("ORDER_COST_SORT", "cumulative")
        ).print_stats(45)


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of a process on this machine, from /proc."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _buyer_and_variant(units: int) -> tuple[str, int, int]:
    """The tool's own buyer (a token), a variant with `units` in stock, a shipping method."""
    from decimal import Decimal

    from django.db import transaction
    from roomdb import bench_variant

    from apps.accounts.models import User
    from apps.accounts.services import token_create
    from apps.cart.models import Cart
    from apps.pricing.models import ShippingMethod

    user, _ = User.objects.get_or_create(email=BUYER)
    Cart.objects.filter(user=user).delete()
    with transaction.atomic():
        _, token = token_create(user=user)
    variant = bench_variant(
        stock=units,
        run_id=secrets.token_hex(4),
        slug_prefix="bench-flash-sale-order-cost-",  # the product count leaves it out
        sku=f"BENCH-COST-{secrets.token_hex(4)}",
        title="Order cost",
        price=Decimal("19.00"),
        why="Sold by bench/order_cost.py, one unit an order.",
    )
    method = ShippingMethod.objects.filter(is_active=True).order_by("position", "id").first()
    if method is None:
        raise SystemExit("No shipping method: run `make bench` once to prepare the database.")
    return token, variant.pk, method.pk


if __name__ == "__main__":
    main()
