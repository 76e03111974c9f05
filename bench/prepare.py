"""Database side of `make bench`, run with the project's Python and settings.

    python bench/prepare.py setup   --out DIR   buyers, flash-sale variant, URL lists
    python bench/prepare.py verify  --summary FILE --since EPOCH   flash-sale outcome
    python bench/prepare.py queries --out DIR   SQL queries per page, cache on or off
    python bench/prepare.py room-setup / room-verify   the waiting-room sale (bench/roomdb.py)

Every command prints one JSON object on its last line of stdout; bench/dataprep.py reads it.
Random choices use a fixed seed (BENCH_SEED), so two runs request the same URLs.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Max, Min, Sum  # noqa: E402
from roomdb import bench_variant, room_setup, room_verify  # noqa: E402

from apps.accounts.models import User  # noqa: E402
from apps.cart.models import Cart  # noqa: E402
from apps.catalog import selectors  # noqa: E402
from apps.catalog.choices import StockReason  # noqa: E402
from apps.catalog.models import Category, Product, StockMovement, Variant  # noqa: E402
from apps.catalog.services import (  # noqa: E402
    stock_adjust,
)
from apps.orders.models import Notification, Order, OrderLine  # noqa: E402
from apps.pricing.models import ShippingMethod  # noqa: E402

BUYER_DOMAIN = "bench.invalid"
FLASH_SLUG_PREFIX = "bench-flash-sale-"
FLASH_PRICE = Decimal("19.90")
PAGE_SIZE = 24
LISTING_ORDERINGS = ["", "price", "-price", "name"]
STOPWORDS = {"and", "with", "for", "the", "of", "in", "a", "to"}


def emit(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, default=str))


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def unique(items: list[str], limit: int) -> list[str]:
    return list(dict.fromkeys(items))[:limit]


# --- setup -------------------------------------------------------------------------------


def ensure_buyers(count: int, password: str) -> list[str]:
    """Buyer accounts bench-buyer-NNN@bench.invalid, all with `password`; their e-mails."""
    emails = [f"bench-buyer-{n:03d}@{BUYER_DOMAIN}" for n in range(1, count + 1)]
    # One hash for all: same password, and 64 PBKDF2 runs would cost half a minute.
    hashed = make_password(password)
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    User.objects.bulk_create(
        User(email=email, password=hashed) for email in emails if email not in existing
    )
    User.objects.filter(email__in=emails).update(password=hashed, is_active=True)
    # A buyer starts with an empty cart; an earlier run may have left lines behind.
    Cart.objects.filter(user__email__in=emails).delete()
    return emails


def flash_sale_variant(stock: int, run_id: str) -> Variant:
    """The flash sale's variant: a product of its own with `stock` units."""
    return bench_variant(
        stock=stock,
        run_id=run_id,
        slug_prefix=FLASH_SLUG_PREFIX,
        sku=f"BENCH-FLASH-{run_id}",
        title="Flash sale",
        price=FLASH_PRICE,
        why="One variant, a fixed number of units, sold through the API.",
    )


def category_urls(rng: random.Random, limit: int) -> tuple[list[str], list[str]]:
    """Listing URLs (category x page x ordering), and the visible category slugs."""
    paths = selectors.visible_category_paths()
    categories = list(Category.objects.filter(pk__in=list(paths)).order_by("path"))
    pages: dict[str, int] = {}
    for category in categories:
        count = selectors.product_list(category=category).count()
        if count:
            pages[category.slug] = math.ceil(count / PAGE_SIZE)
    slugs = sorted(pages)
    urls: list[str] = []
    for _ in range(limit * 20):
        if len(set(urls)) >= limit:
            break
        slug = rng.choice(slugs)
        last = pages[slug]
        draw = rng.random()
        # Mostly the first pages, as shoppers browse; one in five anywhere up to the last.
        if draw < 0.5:
            page = 1
        elif draw < 0.8:
            page = rng.randint(1, min(5, last))
        else:
            page = rng.randint(1, last)
        params = {}
        if page > 1:
            params["page"] = str(page)
        ordering = rng.choice(LISTING_ORDERINGS)
        if ordering:
            params["ordering"] = ordering
        query = f"?{urlencode(params)}" if params else ""
        urls.append(f"/catalog/{slug}/{query}")
    return unique(urls, limit), slugs


def search_queries(rng: random.Random, slugs: list[str], limit: int) -> list[str]:
    """What shoppers type: one or two words of real titles and brands, some misspelt."""
    sample = rng.sample(slugs, min(limit * 3, len(slugs)))
    rows = list(
        Product.objects.filter(slug__in=sample).order_by("id").values_list("title", "brand")
    )
    queries: list[str] = []
    for title, brand in rows:
        words = [
            word.lower()
            for word in re.findall(r"[A-Za-z]{3,}", title)
            if word.lower() not in STOPWORDS
        ]
        if not words:
            continue
        draw = rng.random()
        if draw < 0.45:
            query = rng.choice(words)
        elif draw < 0.8 and len(words) > 1:
            start = rng.randrange(len(words) - 1)
            query = " ".join(words[start : start + 2])
        elif draw < 0.9 and brand:
            query = f"{brand.lower()} {rng.choice(words)}"
        else:
            # A typo: two neighbouring letters swapped, which trigram similarity forgives.
            word = rng.choice([w for w in words if len(w) >= 5] or words)
            at = rng.randrange(len(word) - 1)
            query = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        queries.append(query)
    return unique(queries, limit)


def api_list_urls(
    rng: random.Random, slugs: list[str], queries: list[str], limit: int
) -> list[str]:
    urls: list[str] = []
    for _ in range(limit * 20):
        if len(set(urls)) >= limit:
            break
        params: dict[str, str] = {}
        if rng.random() < 0.85:
            params["category"] = rng.choice(slugs)
        else:
            params["q"] = rng.choice(queries)
        ordering = rng.choice(LISTING_ORDERINGS)
        if ordering:
            params["ordering"] = ordering
        if rng.random() < 0.3:
            params["in_stock"] = "true"
        urls.append(f"/api/v1/products/?{urlencode(params)}")
    return unique(urls, limit)


def setup(args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)  # noqa: S311 - reproducible URL choice, not a secret
    started = time.monotonic()
    emails = ensure_buyers(args.buyers, args.password)
    variant = flash_sale_variant(args.stock, args.run_id)
    shipping = ShippingMethod.objects.filter(is_active=True).order_by("position", "id").first()
    if shipping is None:
        raise SystemExit("No shipping method: run seed_shipping_methods first.")

    visible = selectors.visible_products().exclude(slug__startswith=FLASH_SLUG_PREFIX)
    slugs = sorted(visible.values_list("slug", flat=True))
    picked = rng.sample(slugs, min(args.urls, len(slugs)))
    listing, category_slugs = category_urls(rng, args.urls)
    queries = search_queries(rng, slugs, args.urls)
    variant_ids = list(
        Variant.objects.filter(
            product__slug__in=rng.sample(slugs, min(args.urls, len(slugs))),
            is_active=True,
            stock__gte=20,
        ).values_list("id", flat=True)
    )

    files = {
        "home": ["/"],
        "category": listing,
        "product": [f"/products/{slug}/" for slug in picked],
        "search": [f"/catalog/?{urlencode({'q': q})}" for q in queries],
        "api_list": api_list_urls(rng, category_slugs, queries, args.urls),
        "api_detail": [f"/api/v1/products/{slug}/" for slug in picked],
        "variants": [str(pk) for pk in variant_ids],
        "buyers": emails,
    }
    for name, lines in files.items():
        write_lines(out / f"{name}.txt", lines)
    emit(
        {
            "flash_variant": variant.pk,
            "flash_product": variant.product.slug,
            "flash_stock": args.stock,
            "shipping_method": shipping.pk,
            "buyer_password": args.password,
            "products": Product.objects.exclude(slug__startswith=FLASH_SLUG_PREFIX).count(),
            "variants_total": Variant.objects.count(),
            "categories": len(category_slugs),
            "counts": {name: len(lines) for name, lines in files.items()},
            "seconds": round(time.monotonic() - started, 1),
        }
    )


# --- verify ------------------------------------------------------------------------------


def verify(args: argparse.Namespace) -> None:
    summary = json.loads(Path(args.summary).read_text())
    variant_id = summary["flash_variant"]
    stock = summary["flash_stock"]
    since = datetime.fromtimestamp(args.since, tz=UTC)
    lines = OrderLine.objects.filter(variant_id=variant_id)
    sold = lines.aggregate(total=Sum("quantity"))["total"] or 0
    orders = Order.objects.filter(lines__variant_id=variant_id).distinct()
    window = orders.aggregate(first=Min("created_at"), last=Max("created_at"))
    buyers = orders.aggregate(n=Count("user", distinct=True))["n"]
    final_stock = Variant.objects.values_list("stock", flat=True).get(pk=variant_id)
    movements = StockMovement.objects.filter(variant_id=variant_id).aggregate(total=Sum("delta"))[
        "total"
    ]
    notifications = Notification.objects.filter(order__in=orders)
    last: datetime | None = window["last"]
    first: datetime | None = window["first"]
    emit(
        {
            "orders": orders.count(),
            "units_sold": sold,
            "oversell": max(0, sold - stock),
            "final_stock": final_stock,
            "stock_consistent": final_stock >= 0 and final_stock == stock - sold,
            "movements_total": movements,
            "distinct_buyers": buyers,
            "first_order_after_start_s": (first - since).total_seconds() if first else None,
            "last_order_after_start_s": (last - since).total_seconds() if last else None,
            "emails_sent": notifications.filter(sent_at__isnull=False).count(),
            "emails_total": notifications.count(),
        }
    )


# --- queries -----------------------------------------------------------------------------


def queries(args: argparse.Namespace) -> None:
    """SQL queries per request for a sample of each page's URLs, through Django's client.

    Run once with CATALOG_CACHE=false (every request is a miss) and once with it on, where
    the second request of each URL is counted (a hit).
    """
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    out = Path(args.out)
    rng = random.Random(args.seed)  # noqa: S311 - reproducible sample, not a secret
    client = Client(HTTP_HOST="127.0.0.1")
    result: dict[str, dict[str, Any]] = {}
    for name in args.names.split(","):
        urls = (out / f"{name}.txt").read_text().split()
        sample = rng.sample(urls, min(args.sample, len(urls)))
        counts: list[int] = []
        statuses: set[int] = set()
        for url in sample:
            if args.second:
                client.get(url)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            statuses.add(response.status_code)
            counts.append(len(captured.captured_queries))
        counts.sort()
        result[name] = {
            "sample": len(counts),
            "median": counts[len(counts) // 2] if counts else None,
            "max": max(counts) if counts else None,
            "statuses": sorted(statuses),
        }
    emit(result)


def restock(args: argparse.Namespace) -> None:
    """Puts the flash-sale variant back on sale, for the profile run after the measured one
    (which `verify` has counted by then)."""
    summary = json.loads(Path(args.summary).read_text())
    stock_adjust(
        variant_id=summary["flash_variant"],
        delta=args.units,
        reason=StockReason.RECEIVED,
        note="bench: stock for the profile run",
    )
    emit({"restocked": args.units})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_setup = sub.add_parser("setup")
    p_setup.add_argument("--out", required=True)
    p_setup.add_argument("--buyers", type=int, default=64)
    p_setup.add_argument("--stock", type=int, default=2000)
    p_setup.add_argument("--urls", type=int, default=2000)
    p_setup.add_argument("--seed", type=int, default=1)
    p_setup.add_argument("--run-id", required=True)
    p_setup.add_argument("--password", required=True)
    p_verify = sub.add_parser("verify")
    p_verify.add_argument("--summary", required=True)
    p_verify.add_argument("--since", type=float, required=True)
    p_restock = sub.add_parser("restock")
    p_restock.add_argument("--summary", required=True)
    p_restock.add_argument("--units", type=int, default=2000)
    p_room = sub.add_parser("room-setup")
    for name in ("shoppers", "capacity", "units", "limit"):
        p_room.add_argument(f"--{name}", type=int, required=True)
    for name in ("out", "run-id", "password"):
        p_room.add_argument(f"--{name}", required=True)
    sub.add_parser("room-verify").add_argument("--sale", type=int, required=True)
    p_queries = sub.add_parser("queries")
    p_queries.add_argument("--out", required=True)
    p_queries.add_argument("--names", required=True)
    p_queries.add_argument("--sample", type=int, default=10)
    p_queries.add_argument("--seed", type=int, default=1)
    p_queries.add_argument("--second", action="store_true")
    args = parser.parse_args()
    if args.command.startswith("room-"):
        emit({"room-setup": room_setup, "room-verify": room_verify}[args.command](args))
        return
    {"setup": setup, "verify": verify, "restock": restock, "queries": queries}[args.command](args)


if __name__ == "__main__":
    main()
