"""Template context for the cart badge in the header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from apps.cart.http import cart_for_request
from apps.cart.selectors import cart_count


def cart(request: HttpRequest) -> dict[str, Any]:
    """The header's cart count, computed only if a template shows it."""

    def count() -> int:
        found = cart_for_request(request)
        return cart_count(cart_id=found.pk if found else None)

    return {"cart_count": SimpleLazyObject(count)}
