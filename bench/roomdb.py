"""Database side of the waiting-room sale (bench/room.py), imported by bench/prepare.py
once Django is set up: `prepare.py room-setup` and `prepare.py room-verify`.

room-setup makes a new product with one variant (its slug starts like the flash sale's,
so the URL lists and the product count leave it out), a sale of it with units set aside,
a per-customer limit and a waiting room, scheduled and live from now; and the shoppers:
accounts bench-room-NNNN@bench.invalid, each with a fresh knox token (made here, not
through the API: a thousand sign-ins would be a thousand PBKDF2 runs and hit the auth
throttle). room-verify counts what the sale sold, then ends it.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from knox.models import AuthToken

from apps.accounts.models import User
from apps.cart.models import Cart
from apps.catalog.choices import StockReason
from apps.catalog.models import Category, Product, Variant
from apps.catalog.services import product_price_refresh, product_set_active, stock_adjust
from apps.orders.models import Order, OrderLine
from apps.sales.models import Sale, SaleClaim, SaleCustomer, SaleItem
from apps.sales.services.staff import sale_end, sale_schedule

ROOM_SLUG_PREFIX = "bench-flash-sale-room-"
ROOM_DOMAIN = "bench.invalid"
REGULAR_PRICE = Decimal("19.90")
SALE_PRICE = Decimal("9.90")


def room_shoppers(count: int, password: str) -> list[User]:
    """The shoppers' accounts (made once, reused), with empty carts and no old tokens."""
    emails = [f"bench-room-{n:04d}@{ROOM_DOMAIN}" for n in range(1, count + 1)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    hashed = make_password(password)
    User.objects.bulk_create(
        User(email=email, password=hashed) for email in emails if email not in existing
    )
    users = list(User.objects.filter(email__in=emails).order_by("email"))
    User.objects.filter(email__in=emails).update(is_active=True)
    Cart.objects.filter(user__in=users).delete()
    AuthToken.objects.filter(user__in=users).delete()
    return users


def bench_variant(
    *, stock: int, run_id: str, slug_prefix: str, sku: str, title: str, price: Decimal, why: str
) -> Variant:
    """A new product with one variant holding `stock` units; earlier ones of its kind hidden."""
    earlier = list(
        Product.objects.filter(slug__startswith=slug_prefix, is_active=True).values_list(
            "id", flat=True
        )
    )
    if earlier:
        product_set_active(product_ids=earlier, active=False)
    category = (
        Category.objects.filter(is_active=True, products__isnull=False).order_by("path").first()
    )
    if category is None:
        raise SystemExit("The bench database has no category with products: seed it first.")
    with transaction.atomic():
        product = Product.objects.create(
            title=f"{title} {run_id}",
            slug=f"{slug_prefix}{run_id}",
            description=why,
            brand="Shopfront Bench",
            category=category,
        )
        variant = Variant.objects.create(product=product, sku=sku, price=price, stock=0)
        product_price_refresh(product_ids=[product.pk])
    stock_adjust(
        variant_id=variant.pk,
        delta=stock,
        reason=StockReason.RECEIVED,
        note=f"make bench: {title.lower()} stock",
    )
    return variant


def room_variant(stock: int, run_id: str) -> Variant:
    """The waiting-room sale's variant: a product of its own, at the regular price."""
    return bench_variant(
        stock=stock,
        run_id=run_id,
        slug_prefix=ROOM_SLUG_PREFIX,
        sku=f"BENCH-ROOM-{run_id}",
        title="Waiting-room sale",
        price=REGULAR_PRICE,
        why="One variant sold in a sale with a waiting room, through the API.",
    )


def room_setup(args: argparse.Namespace) -> dict[str, Any]:
    users = room_shoppers(args.shoppers, args.password)
    # Twice the units set aside: the sale, not the stock, is what runs out.
    variant = room_variant(2 * args.units, args.run_id)
    now = timezone.now()
    sale = Sale.objects.create(
        name=f"Bench waiting-room sale {args.run_id}",
        slug=f"bench-room-{args.run_id}",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=2),
        per_customer_limit=args.limit,
        room_capacity=args.capacity,
        room_pass_minutes=2,
    )
    SaleItem.objects.create(sale=sale, variant=variant, sale_price=SALE_PRICE, units=args.units)
    sale_schedule(sale=sale, actor=None)
    expiry = timedelta(hours=3)
    tokens = [AuthToken.objects.create(user=user, expiry=expiry)[1] for user in users]
    Path(args.out, "room_tokens.txt").write_text("".join(f"{t}\n" for t in tokens))
    return {
        "sale": sale.pk,
        "variant": variant.pk,
        "units": args.units,
        "stock": 2 * args.units,
        "sale_price": str(SALE_PRICE),
        "regular_price": str(REGULAR_PRICE),
        "limit": args.limit,
        "capacity": args.capacity,
        "shoppers": len(tokens),
    }


def room_verify(args: argparse.Namespace) -> dict[str, Any]:
    """What the sale sold, from the database; then the sale is ended."""
    sale = Sale.objects.get(pk=args.sale)
    item = SaleItem.objects.get(sale=sale)
    claims = SaleClaim.objects.filter(item=item, released_at__isnull=True)
    claimed = claims.aggregate(units=Sum("units"))["units"] or 0
    per_customer = claims.values("customer_key").annotate(units=Sum("units"))
    limit = sale.per_customer_limit or 0
    breaches = [row["units"] for row in per_customer if row["units"] > limit]
    lines = OrderLine.objects.filter(variant_id=item.variant_id)
    sold = lines.aggregate(units=Sum("quantity"))["units"] or 0
    orders = Order.objects.filter(sale_claims__item=item).distinct()
    regular = Order.objects.filter(lines__variant_id=item.variant_id).exclude(
        sale_claims__item=item
    )
    stock = Variant.objects.values_list("stock", flat=True).get(pk=item.variant_id)
    counter_max = SaleCustomer.objects.filter(sale=sale).aggregate(m=Max("units"))["m"]
    units = item.units or 0
    result = {
        "orders": orders.count(),
        "customers": per_customer.count(),
        "units_claimed": claimed,
        "units_sold_counter": item.units_sold,
        "units": units,
        "oversell": max(0, max(claimed, item.units_sold) - units),
        "breaches": len(breaches),
        "max_per_customer": max((row["units"] for row in per_customer), default=0),
        "counter_max_per_customer": counter_max or 0,
        "regular_price_orders": regular.distinct().count(),
        "variant_units_sold": sold,
        "final_stock": stock,
        "stock_consistent": stock >= 0 and stock == 2 * units - sold,
        "orders_by_size": dict(
            orders.values_list("lines__quantity").annotate(n=Count("id")).order_by()
        ),
    }
    sale_end(sale=sale, actor=None)
    return result
