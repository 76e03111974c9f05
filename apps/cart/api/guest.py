"""Guests of the API: a cart named by the X-Cart-Token header instead of an account.

The pages let a shopper check out without an account (their cart is a signed cookie), so
the API does too: POST /carts/ answers with a token for a new guest cart, which
the client sends as X-Cart-Token on the cart endpoints and on checkout. Signing in with the
header merges the guest cart into the account's, as signing in on the pages does.
"""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User, customer_key
from apps.cart.http import (
    CART_TOKEN_HEADER,
    CartTokenInvalid,
    cart_for_request,
    cart_token_new,
    header_cart,
)
from apps.cart.models import Cart
from apps.cart.services import cart_guest_get_or_create
from apps.core.api import GUEST_CREDENTIAL, ErrorSerializer

CART_TOKEN = OpenApiParameter(
    CART_TOKEN_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    extensions={GUEST_CREDENTIAL: True},
    description="Without an account: the `token` POST /carts/ answered with, naming your "
    "guest cart. Ignored when signed in.",
)
UNAUTHENTICATED = OpenApiResponse(
    ErrorSerializer,
    description="Neither signed in nor sending a valid X-Cart-Token (`not_authenticated`), "
    "or the token is not one of ours or its cart is gone (`authentication_failed`).",
)
UNKNOWN_CART = "That is not a cart token of this shop. Make one with POST /api/v1/carts/."


class SignedInOrGuestCart(BasePermission):
    """A signed-in user, or a guest naming their cart with X-Cart-Token."""

    message = "Sign in, or send the X-Cart-Token of a guest cart (POST /api/v1/carts/ makes one)."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.user.is_authenticated:
            return True
        return guest_cart(request) is not None


def guest_cart(request: Request) -> Cart | None:
    """The guest cart X-Cart-Token names, read once per request (unsaved while empty and
    new); None without the header."""
    if hasattr(request, "_guest_cart"):
        return cast(Cart | None, request._guest_cart)
    try:
        cart = header_cart(cast(HttpRequest, request))
    except CartTokenInvalid:
        raise exceptions.AuthenticationFailed(UNKNOWN_CART) from None
    request._guest_cart = cart  # type: ignore[attr-defined]
    if cart is not None:
        # Their place in a sale's waiting room (apps.sales.room.room_visitor): a client
        # without cookies would get a new session, at the back of the line, every time.
        request.guest_visitor = f"cart-{cart.token}"  # type: ignore[attr-defined]
    return cart


def request_cart(request: Request, *, create: bool = False) -> Cart | None:
    """The caller's cart, the signed-in user's or the guest's; with `create`, made if
    there is none yet, else None until there is one."""
    if request.user.is_authenticated:
        # DRF's Request stands in for the HttpRequest and, unlike it, knows a token's user.
        return cart_for_request(cast(HttpRequest, request), create=create)
    cart = guest_cart(request)
    if cart is None or cart.pk is not None:
        return cart
    if not create:
        return None
    cart = cart_guest_get_or_create(token=cart.token)
    request._guest_cart = cart
    return cart


def request_customer(request: Request) -> str | None:
    """Who uses a voucher: the account; a guest is nobody until checkout gives an e-mail."""
    if not request.user.is_authenticated:
        return None
    user = cast(User, request.user)
    return customer_key(user_id=user.pk, email=user.email)


class GuestCartSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text=f"Send it as `{CART_TOKEN_HEADER}` from now on.")


class GuestCartView(generics.GenericAPIView[Any]):
    """Makes an empty cart for a shopper without an account."""

    permission_classes = (AllowAny,)
    # Nobody's session or token is looked at: the cart belongs to whoever holds its token.
    authentication_classes = ()
    serializer_class = GuestCartSerializer

    @extend_schema(
        summary="Start a guest cart",
        description="For checking out without an account. Keep the `token` and send it as "
        f"`{CART_TOKEN_HEADER}` with /cart/ calls and POST /checkout/, which then needs an "
        "`email`. The token is a bearer secret: whoever holds it holds the cart. A guest who "
        "signs in (POST /auth/token/) with the header gets the cart merged into their "
        "account's.",
        request=None,
        responses={201: GuestCartSerializer},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        return Response({"token": cart_token_new()}, status=status.HTTP_201_CREATED)
