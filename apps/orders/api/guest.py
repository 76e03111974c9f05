"""Guests of the API: an order placed without an account is opened by its X-Order-Token.

The token is the one a guest's e-mail links carry (apps.orders.links): signed over the
order number, so it opens that order and no other, for GUEST_ORDER_LINK_MAX_AGE_DAYS. The
checkout answers a guest's order with it in the same header.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.core.api import GUEST_CREDENTIAL
from apps.orders import links, selectors
from apps.orders.models import Order

ORDER_TOKEN_HEADER = "X-Order-Token"  # noqa: S105 - a header name
ORDER_TOKEN = OpenApiParameter(
    ORDER_TOKEN_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    extensions={GUEST_CREDENTIAL: True},
    description="Without an account: the token POST /checkout/ answered a guest's order "
    "with (the same header). It opens that order only.",
)
ORDER_TOKEN_ANSWERED = OpenApiParameter(
    ORDER_TOKEN_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    description="A guest's order only: send it back to see or pay this order.",
)


class SignedInOrOrderToken(BasePermission):
    """A signed-in user, or a guest sending the X-Order-Token of one order."""

    message = "Sign in, or send the X-Order-Token your guest checkout was answered with."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.user.is_authenticated:
            return True
        action = getattr(view, "action", None)
        return ORDER_TOKEN_HEADER in request.headers and action in ("retrieve", "pay")


def guest_order(request: Request, *, number: str) -> Order | None:
    """The guest order this request's X-Order-Token opens; None if it opens no such order."""
    try:
        links.guest_order_token_check(number=number, token=request.headers[ORDER_TOKEN_HEADER])
    except links.GuestLinkExpired:
        raise exceptions.PermissionDenied(
            "This order token has expired; look the order up on the shop's site with its "
            "number and e-mail address."
        ) from None
    except links.GuestLinkInvalid:
        # The answer of an unknown number: a forged token tells nothing about orders.
        return None
    return selectors.order_detail_queryset().filter(number=number, user=None).first()
