"""Finding the shopper's cart from a request: the user's, the signed cookie's, or the
signed X-Cart-Token header's (a guest of the API, which keeps no cookies)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponseBase

from apps.cart.models import Cart

COOKIE_NAME = "cart"
COOKIE_SALT = "shopfront.cart"
COOKIE_MAX_AGE = 60 * 60 * 24 * 30
CART_TOKEN_HEADER = "X-Cart-Token"  # noqa: S105 - a header name
# A salt of its own: a cookie's signature cannot pass for a header token, or the reverse.
CART_TOKEN_SALT = "shopfront.cart-api"  # noqa: S105 - a salt, public by design


class CartTokenInvalid(Exception):
    """The X-Cart-Token was not signed by us (for a cart token)."""


def cart_token_new() -> str:
    """A token for a guest cart of the API, sent back as X-Cart-Token.

    Nothing is written: the cart is made with the first thing put in it, so a client that
    asks for tokens and never adds anything leaves no rows behind.
    """
    return signing.Signer(salt=CART_TOKEN_SALT).sign(str(uuid.uuid4()))


def header_cart(request: HttpRequest) -> Cart | None:
    """The guest cart the X-Cart-Token header names; None without the header.

    Unsaved while nothing was put in it. Only carts without an owner: signing in with
    the token merges its cart into the account's, and the token then names a new one.
    """
    raw = request.headers.get(CART_TOKEN_HEADER)
    if raw is None:
        return None
    try:
        token = uuid.UUID(signing.Signer(salt=CART_TOKEN_SALT).unsign(raw.strip()))
    except (signing.BadSignature, ValueError):
        raise CartTokenInvalid from None
    return Cart.objects.filter(token=token, user=None).first() or Cart(token=token)


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
