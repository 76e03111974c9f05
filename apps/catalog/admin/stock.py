"""Saving a variant from an admin form: stock only ever moves through the movement services."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest

from apps.accounts.models import User
from apps.catalog import services
from apps.catalog.admin.forms import StockChange
from apps.catalog.choices import StockReason
from apps.catalog.models import Variant
from apps.core.errors import ApplicationError

# Fields a variant form may write directly; price goes through variant_set_price and
# stock only ever through the movement services.
_VARIANT_PLAIN_FIELDS = frozenset(
    {"product", "sku", "options", "is_active", "weight_grams", "position"}
)
_VARIANT_PRICE_FIELDS = frozenset({"price", "compare_at_price"})


def request_actor(request: HttpRequest) -> User | None:
    """The signed-in staff user that a stock movement is recorded against, if any."""
    return request.user if isinstance(request.user, User) else None


def _stock_change_apply(
    *, variant: Variant, change: StockChange, actor: User | None, note: str
) -> None:
    if change.quantity is not None:
        services.stock_set(variant_id=variant.pk, quantity=change.quantity, actor=actor, note=note)
    elif change.delta is not None:
        reason = StockReason.RECEIVED if change.delta > 0 else StockReason.ADJUSTMENT
        services.stock_adjust(
            variant_id=variant.pk, delta=change.delta, reason=reason, actor=actor, note=note
        )


def variant_save(variant: Variant, form: forms.ModelForm, *, actor: User | None) -> list[str]:
    """Saves a variant from an admin form without writing `stock`; returns refused changes.

    A plain `save()` would write back the stock read when the form was loaded, undoing any
    sale made since, so existing variants save only their changed columns.
    """
    changed = set(form.changed_data)
    if variant._state.adding:
        variant.stock = 0  # the initial stock arrives below, as a movement
        variant.save()
    else:
        plain = sorted(changed & _VARIANT_PLAIN_FIELDS)
        if plain:
            variant.save(update_fields=plain)
        if changed & _VARIANT_PRICE_FIELDS:
            services.variant_set_price(
                variant=variant, price=variant.price, compare_at_price=variant.compare_at_price
            )
    change: StockChange | None = form.cleaned_data.get("stock_change")
    if change is None:
        return []
    try:
        _stock_change_apply(
            variant=variant,
            change=change,
            actor=actor,
            note=form.cleaned_data.get("stock_note", ""),
        )
    except ApplicationError as error:
        # Only a sale committed between validation and save gets here; the rest is saved.
        return [f"Stock of {variant.sku} was not changed: {error.message}"]
    variant.refresh_from_db(fields=["stock"])
    return []
