"""`seed_orders`: a deterministic order history (lines, payments, refunds, vouchers)."""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from apps.catalog.models import Variant
from apps.orders.models import Order
from apps.reports.periods import shop_timezone
from apps.reports.seeding import (
    batch_write,
    order_plan,
    order_times,
    stock_load,
    timestamps_as_given,
    voucher_uses_recount,
)

MAX_ORDERS = 5_000_000


class Command(BaseCommand):
    help = (
        "Fills an empty order history with N orders over the last D days (seed_catalog "
        "first): lines, payments, some refunds and voucher uses, in batches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orders", type=int, default=300, help="How many orders.")
        parser.add_argument("--days", type=int, default=730, help="Spread over this many days.")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same history.")
        parser.add_argument(
            "--until",
            type=dt.date.fromisoformat,
            default=None,
            help="Last day of the history (YYYY-MM-DD; default: now). Fix it to repeat a run.",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any order exists."
        )
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="Orders per transaction and INSERT."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        total: int = options["orders"]
        days: int = options["days"]
        batch_size: int = options["batch_size"]
        if not 0 <= total <= MAX_ORDERS or days < 1 or batch_size < 1:
            raise CommandError(
                f"--orders must be 0 to {MAX_ORDERS:,}, --days and --batch-size at least 1."
            )
        if Order.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The shop already has orders; not seeding.")
                return
            raise CommandError(
                "The shop already has orders. seed_orders only fills an empty order history "
                "(use --if-empty to skip quietly)."
            )
        if total and not Variant.objects.filter(is_active=True).exists():
            raise CommandError("The catalog has no active variants: run seed_catalog first.")
        now = timezone.now()
        until = now
        if options["until"] is not None:
            next_day = options["until"] + dt.timedelta(days=1)
            until = min(now, dt.datetime.combine(next_day, dt.time.min, shop_timezone()))

        started = time.monotonic()
        rng = random.Random(options["seed"])  # noqa: S311 (reproducible demo data, not secrets)
        stock = stock_load(rng, customers=max(20, min(total // 10, 20_000)))
        moments = order_times(rng, total=total, days=days, until=until)
        shown = 0
        counts = {"orders": 0, "lines": 0, "payments": 0, "refunds": 0, "vouchers": 0}
        # One transaction: a failure half-way leaves no half history to refuse the next run.
        with timestamps_as_given(), transaction.atomic():
            for first in range(0, total, batch_size):
                planned = [
                    order_plan(rng, stock, index=first + offset, placed=moment, now=until)
                    for offset, moment in enumerate(moments[first : first + batch_size])
                ]
                written = batch_write(planned, batch_size=batch_size)
                for key, value in written.items():
                    counts[key] += value
                tenth = counts["orders"] * 10 // total
                if options["verbosity"] >= 1 and tenth != shown:
                    shown = tenth
                    self.stderr.write(f"Seeding orders: {counts['orders']:,}/{total:,}")
            voucher_uses_recount()
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Seeded {counts['orders']:,} orders with {counts['lines']:,} lines, "
            f"{counts['payments']:,} payments, {counts['refunds']:,} refunds and "
            f"{counts['vouchers']:,} voucher uses in {elapsed:.1f}s."
        )
