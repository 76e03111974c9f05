"""Reads for the cart: its lines with what changed since the shopper added them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Sum

from apps.cart.models import Cart, CartLine
from apps.catalog.models import ProductImage
from apps.pricing.money import Totals, line_total, totals
from apps.sales.selectors import price_now, sale_prices


@dataclass(frozen=True)
class CartItem:
    """A cart line as the shopper should see it now."""

    line: CartLine
    unit_price: Decimal
    total: Decimal
    price_changed: bool
    sold_out: bool
    too_many: bool

    @property
    def problem(self) -> str:
        variant = self.line.variant
        if self.sold_out:
            return "Sold out since you added it. Remove it to check out."
        if self.too_many:
            return f"Only {variant.stock} left. Lower the quantity to check out."
        if self.price_changed:
            return f"The price changed from {self.line.price_seen} to {self.unit_price}."
        return ""


@dataclass(frozen=True)
class CartSummary:
    items: list[CartItem]
    totals: Totals
    voucher_code: str = ""
    # Why the cart's voucher no longer applies (expired, used up, below the minimum...).
    voucher_problem: str = ""

    @property
    def count(self) -> int:
        return sum(item.line.quantity for item in self.items)

    @property
    def can_check_out(self) -> bool:
        return bool(self.items) and not any(i.sold_out or i.too_many for i in self.items)


def cart_summary(*, cart: Cart | None, with_voucher: bool = True) -> CartSummary:
    """Lines with current prices and stock; one query for lines, one for cover images."""
    if cart is None:
        return CartSummary(items=[], totals=totals(lines=[]))
    lines = (
        CartLine.objects.filter(cart=cart)
        .select_related("variant__product")
        .prefetch_related(
            # All photos of the cart's few products, the cover first: a plain IN query.
            # Sliced to one per product it would be a window function, several times
            # dearer to build than the handful of extra rows it saves.
            Prefetch(
                "variant__product__images",
                queryset=ProductImage.objects.order_by("position", "id"),
                to_attr="cover_images",
            )
        )
        .order_by("created_at", "id")
    )
    items = []
    rows = list(lines)
    sales = sale_prices(variant_ids=[line.variant_id for line in rows])
    for line in rows:
        variant = line.variant
        available = variant.is_active and variant.product.is_active and variant.stock > 0
        price = price_now(variant_id=variant.pk, regular=variant.price, prices=sales)
        items.append(
            CartItem(
                line=line,
                unit_price=price,
                total=line_total(price, line.quantity),
                price_changed=price != line.price_seen,
                sold_out=not available,
                too_many=available and line.quantity > variant.stock,
            )
        )
    priced = [(i.unit_price, i.line.quantity) for i in items if not i.sold_out]
    goods = totals(lines=priced)
    if not (with_voucher and cart.voucher_code):
        return CartSummary(items=items, totals=goods)
    from apps.accounts.models import customer_key
    from apps.vouchers.services import VoucherInvalid, voucher_check, voucher_discount

    customer = customer_key(user_id=cart.user_id, email="") if cart.user_id else None
    try:
        voucher = voucher_check(
            code=cart.voucher_code, goods_total=goods.subtotal, customer=customer
        )
    except VoucherInvalid as error:
        return CartSummary(
            items=items, totals=goods, voucher_code=cart.voucher_code, voucher_problem=error.message
        )
    discount = voucher_discount(voucher=voucher, goods_total=goods.subtotal)
    return CartSummary(
        items=items,
        totals=totals(lines=priced, discount=discount),
        voucher_code=cart.voucher_code,
    )


def cart_count(*, cart_id: int | None) -> int:
    """Items in the cart, for the header badge (one aggregate query)."""
    if cart_id is None:
        return 0
    return CartLine.objects.filter(cart_id=cart_id).aggregate(n=Sum("quantity"))["n"] or 0
