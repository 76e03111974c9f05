"""Finding the shopper's cart from a request: the user's, or the signed cookie's."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from apps.cart.models import Cart

COOKIE_NAME = "cart"
COOKIE_SALT = "shopfront.cart"
COOKIE_MAX_AGE = 60 * 60 * 24 * 30


def cart_for_request(request: HttpRequest, *, create: bool = False) -> Cart | None:
    """The request's cart; with `create`, a new one if there is none yet.

    Anonymous carts are found by a signed cookie holding the cart's random token, so a
    shopper cannot guess or forge another shopper's cart.
    """
    cached: Cart | None = getattr(request, "_cart", None)
    if cached is not None:
        return cached
    cart = None
    if request.user.is_authenticated:
        cart = Cart.objects.filter(user=request.user).first()
        if cart is None and create:
            cart, _ = Cart.objects.get_or_create(user=request.user)
    else:
        token = request.get_signed_cookie(COOKIE_NAME, default=None, salt=COOKIE_SALT)
        if token:
            cart = Cart.objects.filter(token=token, user=None).first()
        if cart is None and create:
            cart = Cart.objects.create()
    request._cart = cart  # type: ignore[attr-defined]
    return cart


def remember_cart(request: HttpRequest, response: HttpResponseBase) -> None:
    """Sets the cart cookie for an anonymous shopper's new cart."""
    cart: Cart | None = getattr(request, "_cart", None)
    if cart is None or cart.user_id is not None:
        return
    response.set_signed_cookie(
        COOKIE_NAME,
        str(cart.token),
        salt=COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def cart_state(request: HttpRequest) -> str:
    """The cart's part of a personal page (apps.core.visitor): which cart, and when it changed."""
    if not (request.user.is_authenticated or COOKIE_NAME in request.COOKIES):
        return ""
    cart = cart_for_request(request)
    stamp = cart.updated_at.isoformat() if cart else ""
    return f"{request.COOKIES.get(COOKIE_NAME, '')}|{stamp}"
