"""Merging the anonymous cart (a cookie's, or an API guest's X-Cart-Token) into the user's
at sign-in.

A signal, because every way of signing in (the login page, sign-up, the admin, a
password reset) must merge, and none of them belongs to the cart app.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from apps.accounts.models import User
from apps.cart.http import COOKIE_NAME, COOKIE_SALT, CartTokenInvalid, header_cart
from apps.cart.models import Cart
from apps.cart.services import cart_merge


@receiver(user_logged_in, dispatch_uid="cart_merge_on_login")
def merge_cart_on_login(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    if request is None or not hasattr(request, "COOKIES"):
        return
    anonymous = _api_guest_cart(request) or _cookie_cart(request)
    if anonymous is None or not anonymous.lines.exists():
        return
    _, changes = cart_merge(source=anonymous, user=user)
    if hasattr(request, "_messages"):
        messages.info(request, "Items from before you signed in are in your cart.")
        for change in changes:
            messages.warning(request, change.message)


def _api_guest_cart(request: HttpRequest) -> Cart | None:
    """The guest cart an API sign-in names with X-Cart-Token (knox sends this signal too)."""
    try:
        cart = header_cart(request)
    except CartTokenInvalid:
        return None
    return cart if cart is not None and cart.pk is not None else None


def _cookie_cart(request: HttpRequest) -> Cart | None:
    token = request.get_signed_cookie(COOKIE_NAME, default=None, salt=COOKIE_SALT)
    return Cart.objects.filter(token=token, user=None).first() if token else None
