"""Cart writes: every quantity rule is checked here, against the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.cart.models import Cart, CartLine
from apps.catalog.models import Variant
from apps.catalog.selectors import buyable_variants
from apps.core.errors import ApplicationError
from apps.sales.selectors import price_now, sale_prices


class CartError(ApplicationError):
    """The cart change was refused; nothing was changed."""

    code = "cart_invalid"


def _buyable_variant(variant_id: object) -> Variant:
    try:
        pk = int(str(variant_id))
    except ValueError:
        pk = 0
    if not 0 < pk < 2**63:  # no such id; SQLite would refuse the number outright
        pk = 0
    variant = buyable_variants(ids=[pk]).get(pk)
    if variant is None:
        raise CartError(
            "That product is not available.", fields={"variant": ["That product is not available."]}
        )
    return variant


def parse_quantity(raw: object) -> int:
    """A whole number from 1 to the per-line maximum, or a CartError saying what is allowed."""
    limit = settings.CART_MAX_LINE_QUANTITY
    message = f"Enter a whole number from 1 to {limit}."
    if isinstance(raw, bool):
        raise CartError(message, fields={"quantity": [message]})
    if isinstance(raw, int):
        quantity = raw
    else:
        text = str(raw).strip()
        # isascii(): "²" and other Unicode digits pass isdigit() but int() refuses them.
        if not (text.isascii() and text.isdigit()) or len(text) > 6:
            raise CartError(message, fields={"quantity": [message]})
        quantity = int(text)
    if not 1 <= quantity <= limit:
        raise CartError(message, fields={"quantity": [message]})
    return quantity


def _sold_out(variant: Variant) -> CartError:
    return CartError(f"{variant.product.title} is sold out.", fields={"quantity": ["Sold out."]})


def _check_stock(variant: Variant, quantity: int) -> None:
    if variant.stock <= 0:
        raise _sold_out(variant)
    if quantity > variant.stock:
        raise CartError(
            f"Only {variant.stock} of {variant.product.title} left; you asked for {quantity}.",
            fields={"quantity": [f"Only {variant.stock} left."]},
        )


# No savepoint of its own: a refusal undoes the caller's transaction with it, which is what
# both callers want (a cart made for a refused add goes too), for two round trips fewer.
def _price(variant: Variant) -> Decimal:
    """The price the shopper sees now (a sale's while it is live), kept as `price_seen`."""
    return price_now(
        variant_id=variant.pk, regular=variant.price, prices=sale_prices(variant_ids=[variant.pk])
    )


@transaction.atomic(savepoint=False)
def cart_add_item(*, cart: Cart, variant_id: object, quantity: object = 1) -> CartLine:
    """Adds to the cart; adding a variant already there increases its quantity.

    The line is written by one upsert that adds to the quantity only while the sum stays
    within the per-line maximum and the stock read just before: two adds of the same
    variant at once (two tabs) both count, and neither can push the line past a limit.
    """
    variant = _buyable_variant(variant_id)
    wanted = parse_quantity(quantity)
    limit = settings.CART_MAX_LINE_QUANTITY
    if variant.stock <= 0:  # a flash sale's last minutes: refused before anything is written
        raise _sold_out(variant)
    _check_stock(variant, wanted)
    price_seen = _price(variant)
    written = _line_upsert(
        cart_id=cart.pk,
        variant_id=variant.pk,
        quantity=wanted,
        most=min(limit, variant.stock),
        price_seen=price_seen,
    )
    if written is None:
        # The line already holds so many that the sum would pass a limit: say which.
        held = (
            CartLine.objects.filter(cart=cart, variant=variant)
            .values_list("quantity", flat=True)
            .first()
        ) or 0
        if wanted + held > limit:
            raise CartError(
                f"You can buy at most {limit} of one item per order.",
                fields={"quantity": [f"At most {limit} per order."]},
            )
        _check_stock(variant, wanted + held)
        raise CartError("Your cart changed meanwhile; please try again.")
    line_id, new_quantity, created_at = written
    cart.save(update_fields=["updated_at"])
    # Already loaded, with its product: callers show both.
    return CartLine(
        pk=line_id,
        cart=cart,
        variant=variant,
        quantity=new_quantity,
        price_seen=price_seen,
        created_at=created_at,
    )


def _line_upsert(
    *, cart_id: int, variant_id: int, quantity: int, most: int, price_seen: Decimal
) -> tuple[int, int, datetime] | None:
    """Inserts the line, or adds `quantity` to it if the sum stays at most `most`.

    (id, quantity, created_at) of the line written, or None when the sum would exceed
    `most`. Raw SQL because the ORM's upsert (bulk_create with update_conflicts) can only
    copy the new row's values, not add to the old one's, nor refuse conditionally.
    PostgreSQL and SQLite (3.35+) both speak this dialect of ON CONFLICT and RETURNING.
    """
    table = connection.ops.quote_name(CartLine._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (cart_id, variant_id, quantity, price_seen, created_at) "  # noqa: S608 - the table name is the model's own
            "VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (cart_id, variant_id) DO UPDATE SET "
            f"quantity = {table}.quantity + excluded.quantity, price_seen = excluded.price_seen "
            f"WHERE {table}.quantity + excluded.quantity <= %s "
            "RETURNING id, quantity, created_at",
            [
                cart_id,
                variant_id,
                quantity,
                price_seen,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                most,
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    created_at = row[2]
    if isinstance(created_at, str):  # SQLite hands back the UTC text it stored
        created_at = datetime.fromisoformat(created_at)
    if timezone.is_naive(created_at):
        created_at = timezone.make_aware(created_at, UTC)
    return int(row[0]), int(row[1]), created_at


@transaction.atomic
def cart_set_quantity(*, cart: Cart, line_id: object, quantity: object) -> CartLine:
    """Sets a line's quantity (1 to the per-line maximum, never above stock)."""
    line = _line(cart, line_id)
    wanted = parse_quantity(quantity)
    variant = _buyable_variant(line.variant_id)
    _check_stock(variant, wanted)
    line.quantity = wanted
    line.price_seen = _price(variant)
    line.save(update_fields=["quantity", "price_seen"])
    return line


@transaction.atomic
def cart_remove_item(*, cart: Cart, line_id: object) -> None:
    _line(cart, line_id).delete()


def _line(cart: Cart, line_id: object) -> CartLine:
    try:
        pk = int(str(line_id))
    except ValueError:
        pk = 0
    line = CartLine.objects.filter(cart=cart, pk=pk).first()
    if line is None:
        raise CartError("That item is not in your cart.")
    return line


@dataclass(frozen=True)
class MergeChange:
    """Something the shopper should be told after their carts were merged."""

    title: str
    message: str


@transaction.atomic
def cart_guest_get_or_create(*, token: uuid.UUID) -> Cart:
    """The guest cart of an API cart token, made by the first thing put in it.

    Two first adds at once with one token make one cart: the token is unique.
    """
    cart, _ = Cart.objects.get_or_create(token=token, user=None)
    return cart


@transaction.atomic
def cart_merge(*, source: Cart, user: User) -> tuple[Cart, list[MergeChange]]:
    """Moves an anonymous cart into the user's cart at sign-in.

    Quantities add up, capped by the per-line maximum and by stock; the returned changes
    say what was capped or dropped so the shopper is told.
    """
    target, _ = Cart.objects.get_or_create(user=user)
    changes: list[MergeChange] = []
    if source.pk == target.pk:
        return target, changes
    existing = {line.variant_id: line for line in target.lines.select_for_update()}
    limit = settings.CART_MAX_LINE_QUANTITY
    for line in source.lines.select_related("variant__product"):
        variant = line.variant
        title = variant.product.title
        current = existing.get(variant.pk)
        wanted = line.quantity + (current.quantity if current else 0)
        allowed = min(wanted, limit, max(variant.stock, 0)) if variant.is_active else 0
        if allowed <= 0:
            changes.append(MergeChange(title, f"{title} is no longer available and was not added."))
            continue
        if allowed < wanted:
            changes.append(MergeChange(title, f"{title}: quantity reduced to {allowed}."))
        if current:
            current.quantity = allowed
            current.save(update_fields=["quantity"])
        else:
            CartLine.objects.create(
                cart=target, variant=variant, quantity=allowed, price_seen=line.price_seen
            )
    source.delete()
    return target, changes


def cart_clear(*, cart: Cart) -> None:
    """Empties the cart after an order: its lines and its voucher code (used by that order)."""
    CartLine.objects.filter(cart=cart).delete()
    if cart.voucher_code:
        Cart.objects.filter(pk=cart.pk).update(voucher_code="")
        cart.voucher_code = ""


@transaction.atomic
def cart_apply_voucher(*, cart: Cart, code: str, customer: str | None = None) -> Cart:
    """Checks the code against the cart's goods and keeps it on the cart."""
    from apps.cart.selectors import cart_summary
    from apps.vouchers.services import normalize_code, voucher_check

    if not code.strip():
        raise CartError("Enter a voucher code.", fields={"voucher": ["Enter a voucher code."]})
    goods = cart_summary(cart=cart, with_voucher=False).totals.subtotal
    voucher = voucher_check(code=code, goods_total=goods, customer=customer)
    cart.voucher_code = normalize_code(voucher.code)
    cart.save(update_fields=["voucher_code", "updated_at"])
    return cart


def cart_remove_voucher(*, cart: Cart) -> Cart:
    cart.voucher_code = ""
    cart.save(update_fields=["voucher_code", "updated_at"])
    return cart
