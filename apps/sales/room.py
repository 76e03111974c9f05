"""A sale's waiting room: who may shop a live sale while a crowd larger than it waits.

Only the sale is queued: its page, adding one of its items to a cart, and checking out
a cart that holds one. The rest of the shop never waits. A visitor is one browser
session (pages) or one account (API), so a copied cookie does not admit a second
browser and re-joining never moves anyone ahead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from apps.sales.models import Sale, SaleStatus
from apps.sales.selectors import live_sale_ids, sale_prices
from apps.waitingroom.rooms import Decision, RoomConfig
from apps.waitingroom.services import room_check, room_leave


def sale_room(sale: Sale) -> RoomConfig | None:
    """The sale's room as staff set it, or None when the sale has no waiting room."""
    if sale.room_capacity is None and not sale.room_queue_everyone:
        return None
    return RoomConfig(
        key=f"sale-{sale.pk}",
        capacity=sale.room_capacity or 0,
        admit_per_minute=sale.room_admit_per_minute,
        pass_ttl_seconds=max(sale.room_pass_minutes, 1) * 60,
        opens_at=sale.starts_at if sale.room_prequeue else None,
        queue_everyone=sale.room_queue_everyone,
    )


def room_visitor(request: HttpRequest) -> str:
    """One place per visitor: the account or guest cart for API clients, the session for
    browsers."""
    # An API client signed in with a token is its account: it keeps no cookies, so a
    # session would be a new one, at the back of the line, on every request.
    # (DRF's Request passes `session` through to Django's, so only `auth` tells them apart.)
    user = getattr(request, "user", None)
    if getattr(request, "auth", None) is not None and user is not None and user.is_authenticated:
        return f"user-{user.pk}"
    # A guest of the API is their cart, for the same reason (set by apps.cart.api.guest).
    guest = getattr(request, "guest_visitor", None)
    if guest is not None:
        return str(guest)
    if request.session.session_key is None:
        # A first-time visitor has no session yet: their place needs one to belong to.
        request.session.save()
    return f"session-{request.session.session_key}"


def _queued_sales(sale_ids: Iterable[int]) -> list[Sale]:
    """Those of these sales whose room is in force now: live, or scheduled with a pre-queue."""
    ids = sorted(set(sale_ids))
    if not ids:
        return []
    now = timezone.now()
    return [
        sale
        for sale in Sale.objects.filter(pk__in=ids).order_by("pk")
        if sale_room(sale) is not None
        and (
            sale.status_at(now) == SaleStatus.LIVE
            or (sale.room_prequeue and sale.status_at(now) == SaleStatus.SCHEDULED)
        )
    ]


@dataclass(frozen=True)
class Waiting:
    """A visitor kept waiting by a sale's room: the room's answer, and which sale."""

    decision: Decision
    sale: Sale


def room_gate(request: HttpRequest, *, sale_ids: Iterable[int]) -> Waiting | None:
    """None if the visitor may go on; else why they wait, and for which sale."""
    sales = _queued_sales(sale_ids)
    if not sales:
        return None
    visitor = room_visitor(request)
    for sale in sales:
        config = sale_room(sale)
        assert config is not None  # noqa: S101 - filtered above; narrows the type
        decision = room_check(config=config, visitor=visitor)
        if not decision.admitted:
            return Waiting(decision=decision, sale=sale)
    return None


def room_gate_variants(request: HttpRequest, *, variant_ids: Iterable[object]) -> Waiting | None:
    """The gate for adding these variants or checking them out: their live sales' rooms."""
    ids = [int(str(pk)) for pk in variant_ids if str(pk).isdigit()]
    prices = sale_prices(variant_ids=ids)
    return room_gate(request, sale_ids={price.sale_id for price in prices.values()})


def room_gate_cart(request: HttpRequest, *, cart: Any) -> Waiting | None:
    """The gate for checking out a cart: the rooms of the live sales its items are in.

    `cart` may be a callable that finds it. The cart and its lines are read only while
    some sale is live, so checkout outside a sale costs nothing more.
    """
    if not live_sale_ids():
        return None
    if callable(cart):
        cart = cart()
    if cart is None:
        return None
    return room_gate_variants(request, variant_ids=cart.lines.values_list("variant_id", flat=True))


def room_done_variants(request: HttpRequest, *, variant_ids: Iterable[int]) -> None:
    """The visitor placed their order: their slot in these variants' sales goes on."""
    if not live_sale_ids():
        return
    prices = sale_prices(variant_ids=list(variant_ids))
    room_done(request, sale_ids={price.sale_id for price in prices.values()})


def room_done(request: HttpRequest, *, sale_ids: Iterable[int]) -> None:
    """The visitor placed their order: their slot goes to the next in line."""
    sales = _queued_sales(sale_ids)
    if not sales:
        return
    visitor = room_visitor(request)
    for sale in sales:
        config = sale_room(sale)
        if config is not None:
            room_leave(config=config, visitor=visitor)
