"""Shipping methods on offer, and placing an order from the caller's cart (an account's, or
a guest's named by X-Cart-Token)."""

from __future__ import annotations

from typing import Any, cast

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Address, User
from apps.cart.api.guest import (
    CART_TOKEN,
    UNAUTHENTICATED,
    SignedInOrGuestCart,
    guest_cart,
    request_cart,
)
from apps.checkout.api.serializers import CheckoutSerializer, ShippingMethodSerializer
from apps.core.api import (
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENCY_PARAMETERS,
    ErrorSerializer,
    idempotent,
)
from apps.core.throttling import ScopedRateThrottle
from apps.orders.api.guest import ORDER_TOKEN_ANSWERED, ORDER_TOKEN_HEADER
from apps.orders.api.serializers import OrderDetailSerializer
from apps.orders.links import guest_order_token
from apps.orders.models import Order
from apps.orders.services import ShippingAddress, order_place
from apps.pricing.models import ShippingMethod
from apps.sales.room import room_done_variants, room_gate_cart
from apps.waitingroom.api.responses import waiting_room_api_response
from apps.waitingroom.api.serializers import WaitingRoomSerializer


class ShippingMethodViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[ShippingMethod]):
    """Active shipping methods, in the order the shop lists them."""

    queryset = ShippingMethod.objects.filter(is_active=True).order_by("position", "id")
    serializer_class = ShippingMethodSerializer
    pagination_class = None
    permission_classes = (AllowAny,)
    # The same for everyone: no session or user lookups on these calls.
    authentication_classes = ()

    @extend_schema(
        summary="Shipping methods",
        description="What `shipping_method` at checkout may be. Shipping is free when the "
        "goods reach `free_above`.",
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


class CheckoutView(generics.GenericAPIView[Any]):
    """Places an order from the cart; Idempotency-Key makes a retry safe."""

    permission_classes = (SignedInOrGuestCart,)
    serializer_class = CheckoutSerializer
    throttle_classes = (*APIView.throttle_classes, ScopedRateThrottle)
    throttle_scope = "checkout"

    @extend_schema(
        summary="Place an order from your cart",
        description="Takes the stock and creates an order pending payment, at the shop's "
        "current prices; the cart is emptied. Pay it with POST /orders/{number}/pay/ before "
        "`expires_at`. Price, totals, status and owner come from the shop: such fields in "
        "the body are ignored. **Send an `Idempotency-Key`**: a retry after a lost response "
        "then returns the same order instead of placing another. A guest (X-Cart-Token, "
        "no account) must give `email` and a `shipping_address`, and gets the order's "
        "`X-Order-Token` to see and pay it with.",
        parameters=[CART_TOKEN, *IDEMPOTENCY_PARAMETERS, ORDER_TOKEN_ANSWERED],
        request=CheckoutSerializer,
        responses={
            201: OpenApiResponse(OrderDetailSerializer, description="The order, placed."),
            400: OpenApiResponse(
                ErrorSerializer,
                description="Malformed body, empty cart, unknown shipping method, or an item "
                "no longer available.",
            ),
            401: UNAUTHENTICATED,
            409: OpenApiResponse(
                ErrorSerializer,
                description="An item sold out meanwhile (`out_of_stock`; nothing was taken), "
                "a sale's units went to others first (`sale_sold_out`), the customer holds "
                "as many units of a sale as it allows (`sale_limit_reached`), or a request "
                "with this Idempotency-Key is still running (`idempotency_in_progress`).",
            ),
            422: OpenApiResponse(
                ErrorSerializer, description="This Idempotency-Key was used for another request."
            ),
            429: OpenApiResponse(
                WaitingRoomSerializer,
                description="Too many checkouts (wait), or a sale item's waiting room is full: "
                "the body has your `ticket`, `position` and `estimated_wait_seconds`, and "
                "`Retry-After` says when to try again.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Before the Idempotency-Key is claimed: a turn in the waiting room is no answer
        # to keep and replay; the retry with the same key is then served as new.
        waiting = room_gate_cart(request, cart=lambda: request_cart(request))
        if waiting is not None:
            return waiting_room_api_response(waiting.decision)
        # With a key, idempotent() runs _place in a transaction that a refusal rolls back
        # whole, so order_place needs no savepoint of its own.
        keyed = IDEMPOTENCY_KEY_HEADER in request.headers
        guest = guest_cart(request) if not request.user.is_authenticated else None
        return idempotent(
            self,
            request,
            lambda: self._place(data, savepoint=not keyed),
            scope=f"cart:{guest.token}" if guest else None,
        )

    def _place(self, data: dict[str, Any], *, savepoint: bool) -> Response:
        if self.request.user.is_authenticated:
            user: User | None = cast(User, self.request.user)
            cart = None  # the user's own, read as it is locked
            email = data.get("email") or user.email  # type: ignore[union-attr]
        else:
            user, cart, email = None, request_cart(self.request), data["email"]
        answer: list[Response] = []
        order_place(
            cart=cart,
            email=email,
            address=_shipping_address(data),
            shipping_method_id=data["shipping_method"],
            user=user,
            # The answer is built before the stock is claimed, so that the hot item's row
            # lock is not held while it is (see order_place).
            before_stock_claim=lambda order: answer.append(self._placed(order)),
            savepoint=savepoint,
        )
        room_done_variants(
            self.request, variant_ids=[line["variant"] for line in answer[0].data["lines"]]
        )
        return answer[0]

    def _placed(self, order: Order) -> Response:
        # As order_place wrote it, lines and first event included: nothing is read back.
        body = OrderDetailSerializer(order, context=self.get_serializer_context()).data
        headers = {"Location": reverse("api:order-detail", kwargs={"number": order.number})}
        if order.user_id is None:
            headers[ORDER_TOKEN_HEADER] = guest_order_token(number=order.number)
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


def _shipping_address(data: dict[str, Any]) -> ShippingAddress:
    if "shipping_address" in data:
        return ShippingAddress(**data["shipping_address"])
    saved: Address = data["address_id"]
    return ShippingAddress(
        full_name=saved.full_name,
        line1=saved.line1,
        line2=saved.line2,
        city=saved.city,
        region=saved.region,
        postal_code=saved.postal_code,
        country=saved.country.code,  # type: ignore[attr-defined]
        phone=saved.phone,
    )
