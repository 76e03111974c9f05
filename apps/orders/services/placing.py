"""Placing orders: a cart becomes an order in one transaction, taking its stock last."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from apps.accounts.models import User, customer_key
from apps.cart.models import Cart
from apps.cart.services import cart_clear
from apps.catalog.choices import StockReason
from apps.catalog.models import Variant
from apps.catalog.selectors import buyable_variants
from apps.catalog.services import InsufficientStock, stock_adjust
from apps.core.errors import ApplicationError
from apps.orders.choices import PLACED, NotificationKind
from apps.orders.models import Order, OrderEvent, OrderLine
from apps.orders.services.outbox import notification_queue
from apps.pricing.models import ShippingMethod
from apps.pricing.money import ZERO, line_total, order_totals, totals
from apps.sales.selectors import price_now, sale_prices
from apps.sales.services.claims import SaleLine, sale_claim
from apps.vouchers.services import voucher_check, voucher_discount, voucher_redeem

# Crockford-style alphabet without look-alikes (0/O, 1/I/L), so numbers read out on the
# phone are unambiguous.
_NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class CheckoutError(ApplicationError):
    """The order could not be placed; the message says what the shopper can do."""

    code = "checkout_invalid"


class OutOfStock(ApplicationError):
    """Someone else bought the last units first."""

    code = "out_of_stock"
    status_code = 409


@dataclass(frozen=True)
class ShippingAddress:
    """Where the order goes; copied onto the order so later edits don't change it."""

    full_name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    region: str = ""
    phone: str = ""


def order_number_generate() -> str:
    return "SF-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))


def order_place(
    *,
    cart: Cart | None,
    email: str,
    address: ShippingAddress,
    shipping_method_id: int,
    user: User | None = None,
    checkout_token: str | None = None,
    before_stock_claim: Callable[[Order], object] | None = None,
    savepoint: bool = True,
) -> Order:
    """Turns the cart into an order in one transaction, taking the stock it needs.

    `cart=None` places the signed-in `user`'s own cart, found as it is locked (one query
    where a cart read first would take two).

    Prices come from the database, never from the client. Stock is taken last, just
    before commit, with one conditional UPDATE per variant (`stock >= qty`) in variant-id
    order, so that two carts holding the same variants in opposite orders cannot deadlock
    and a hot item's row lock is held only briefly; if any line cannot be had, everything
    rolls back. A repeated `checkout_token` returns the order it placed.

    `before_stock_claim(order)` runs in the same transaction once the order is written,
    just before the claim: work that must commit with the order but takes time (the API
    builds its answer there, to store it under the Idempotency-Key) would otherwise run
    while every other buyer of a flash-sale item waits on its row lock.

    `savepoint=False` is for a caller whose own transaction rolls back whole when this
    raises (the API's Idempotency-Key block): its savepoint would be two round trips for
    nothing. A `checkout_token` keeps the savepoint: the winner is read on after it.
    """
    if checkout_token:
        existing = Order.objects.filter(checkout_token=checkout_token).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic(savepoint=savepoint or checkout_token is not None):
            return _order_place(
                cart=cart,
                email=email,
                address=address,
                shipping_method_id=shipping_method_id,
                user=user,
                checkout_token=checkout_token,
                before_stock_claim=before_stock_claim,
            )
    except (IntegrityError, OutOfStock):
        # The same form was submitted twice at once and the other submission won: it took
        # the stock (so this one may have seen "sold out") and holds the token.
        winner = (
            Order.objects.filter(checkout_token=checkout_token).first() if checkout_token else None
        )
        if winner is None:
            raise
        return winner


def _order_place(
    *,
    cart: Cart | None,
    email: str,
    address: ShippingAddress,
    shipping_method_id: int,
    user: User | None,
    checkout_token: str | None,
    before_stock_claim: Callable[[Order], object] | None,
) -> Order:
    # Lock the cart: two checkouts of the same cart at once (a double click, two tabs, two
    # API calls with different keys) run one after the other, and the second finds the
    # cart emptied by the first instead of placing a second order.
    locking = Cart.objects.select_for_update()
    if cart is not None:
        locked = locking.filter(pk=cart.pk).first()
    elif user is not None:
        locked = locking.filter(user=user).first()
    else:
        raise CheckoutError("Your cart is empty.")
    if locked is None:
        raise CheckoutError("Your cart is empty.")
    if cart is None:
        cart = locked
    if checkout_token:
        existing = Order.objects.filter(checkout_token=checkout_token).first()
        if existing is not None:
            return existing
    lines = list(cart.lines.order_by("variant_id").values_list("variant_id", "quantity"))
    if not lines:
        raise CheckoutError("Your cart is empty.")
    method = ShippingMethod.objects.filter(pk=shipping_method_id, is_active=True).first()
    if method is None:
        raise CheckoutError(
            "Choose a shipping method.", fields={"shipping_method": ["Choose a shipping method."]}
        )
    number = order_number_generate()
    # Prices of the moment the order is placed; the stock is claimed last (see below).
    variants = buyable_variants(ids=[pk for pk, _ in lines])
    for variant_id, _ in lines:
        if variant_id not in variants:
            title = (
                Variant.objects.filter(pk=variant_id).values_list("product__title", flat=True)
            ).first() or "An item in your cart"
            raise CheckoutError(f"{title} is no longer available. Please update your cart.")

    for variant_id, quantity in lines:
        if variants[variant_id].stock < quantity:
            # A fast, clear answer once an item has sold out; the conditional UPDATE below
            # is what actually guards the stock.
            raise _out_of_stock(variants[variant_id].product.title, variants[variant_id].stock)

    # A variant in a live sale costs its sale price while the sale's units last; the
    # order keeps that price even when it is paid after the sale ends.
    sales = sale_prices(variant_ids=[pk for pk, _ in lines])
    unit = {
        pk: price_now(variant_id=pk, regular=variants[pk].price, prices=sales) for pk, _ in lines
    }
    priced = [(unit[pk], qty) for pk, qty in lines]
    goods = totals(lines=priced).subtotal
    customer = customer_key(user_id=user.pk if user else None, email=email)
    discount = ZERO
    if cart.voucher_code:
        voucher = voucher_check(code=cart.voucher_code, goods_total=goods, customer=customer)
        discount = voucher_discount(voucher=voucher, goods_total=goods)
    amounts = order_totals(
        lines=priced, shipping_base=method.price, free_above=method.free_above, discount=discount
    )
    order = Order.objects.create(
        number=number,
        user=user,
        email=email,
        checkout_token=checkout_token,
        shipping_name=address.full_name,
        shipping_line1=address.line1,
        shipping_line2=address.line2,
        shipping_city=address.city,
        shipping_region=address.region,
        shipping_postal_code=address.postal_code,
        shipping_country=address.country,
        shipping_phone=address.phone,
        shipping_method=method,
        shipping_method_name=method.name,
        currency=settings.SHOP_CURRENCY,
        subtotal=amounts.subtotal,
        shipping_total=amounts.shipping,
        discount_total=amounts.discount,
        tax_total=amounts.tax,
        total=amounts.total,
        expires_at=timezone.now() + timedelta(minutes=settings.ORDER_PAYMENT_TIMEOUT_MINUTES),
    )
    order_lines = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                variant_id=pk,
                sku=variants[pk].sku,
                product_title=variants[pk].product.title,
                options=variants[pk].options,
                unit_price=unit[pk],
                quantity=qty,
                line_total=line_total(unit[pk], qty),
            )
            for pk, qty in lines
        ]
    )
    if cart.voucher_code:
        voucher_redeem(
            code=cart.voucher_code, order_id=order.pk, goods_total=goods, customer=customer
        )
    event = OrderEvent.objects.create(
        order=order, to_status=PLACED, actor=user, note="Order placed"
    )
    notification_queue(order=order, kind=NotificationKind.ORDER_CONFIRMATION)
    cart_clear(cart=cart)
    _known_relations(order, lines=order_lines, events=[event], payments=[])
    if before_stock_claim is not None:
        before_stock_claim(order)
    on_sale = [
        SaleLine(variant_id=pk, quantity=qty, title=variants[pk].product.title, sale=sales[pk])
        for pk, qty in lines
        if pk in sales and unit[pk] == sales[pk].price
    ]
    if on_sale:
        sale_claim(order_id=order.pk, customer=customer, lines=on_sale)
    # The stock is claimed last, just before commit: all buyers of a flash-sale item queue
    # on its row lock, so the lock is held only for these UPDATEs and the commit, not for
    # the whole order. One conditional UPDATE per variant, in variant-id order (no
    # deadlocks); if one fails, everything above rolls back with it.
    for variant_id, quantity in lines:
        try:
            stock_adjust(
                variant_id=variant_id,
                delta=-quantity,
                reason=StockReason.SALE,
                note=f"Order {number}",
            )
        except InsufficientStock as error:
            raise _out_of_stock(variants[variant_id].product.title, None, error.message) from error
    return order


def _known_relations(order: Order, **rows: Sequence[Model]) -> None:
    """Keeps the rows just written as the order's related sets, as prefetch_related would.

    Whoever shows the order next (the API answers with it) then reads none of them back:
    a new order's lines and first event are exactly these, and it has no payment yet.
    Like any prefetched set they do not follow later writes; refresh_from_db drops them.
    """
    cache = order.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, values in rows.items():
        related = getattr(order, name).all()
        related._result_cache = list(values)
        related._prefetch_done = True
        cache[name] = related


def _out_of_stock(title: str, left: int | None, detail: str = "") -> OutOfStock:
    detail = detail or (f"Only {left} in stock." if left else "None left.")
    return OutOfStock(
        f"Sorry, {title} sold out while you were checking out: {detail} Please update your cart."
    )
