"""The shopper's cart (an account's, or a guest's by X-Cart-Token): read it, add to it,
change or remove a line, apply a voucher."""

from __future__ import annotations

from typing import Any, cast

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apps.cart.api.guest import (
    CART_TOKEN,
    UNAUTHENTICATED,
    SignedInOrGuestCart,
    request_cart,
    request_customer,
)
from apps.cart.api.serializers import (
    CartItemCreateSerializer,
    CartItemUpdateSerializer,
    CartSerializer,
    CartVoucherSerializer,
)
from apps.cart.models import Cart, CartLine
from apps.cart.selectors import cart_summary
from apps.cart.services import (
    cart_add_item,
    cart_apply_voucher,
    cart_remove_item,
    cart_remove_voucher,
    cart_set_quantity,
)
from apps.core.api import ErrorSerializer
from apps.core.throttling import ScopedRateThrottle
from apps.sales.room import room_gate_variants
from apps.waitingroom.api.responses import waiting_room_api_response
from apps.waitingroom.api.serializers import WAITING_ROOM_RESPONSE

LINE_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such line in your cart.")
REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="Nothing was changed: `error.fields` says why, e.g. "
    '`{"quantity": ["Only 3 left."]}` or `{"variant": ["That product is not available."]}`.',
)
VOUCHER_REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="The code was not applied and the cart is unchanged; `error.fields.voucher` "
    "says why, in words for the shopper: unknown, expired, not valid yet, below the minimum "
    "spend (with how much more to add), used up, or already used by you. `error.code` is "
    "`voucher_invalid`, or `invalid` for a missing, blank or malformed `code`.",
)
LINE_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The line's `id` in the cart."
)


def cart_payload(request: Request, cart: Cart | None) -> dict[str, Any]:
    return CartSerializer(cart_summary(cart=cart), context={"request": request}).data


class CartView(generics.GenericAPIView[Any]):
    """The cart with current prices and what changed since each line was added."""

    permission_classes = (SignedInOrGuestCart,)
    serializer_class = CartSerializer

    @extend_schema(
        summary="Your cart",
        description="Prices are today's; `price_changed`, `sold_out` and `too_many` say what "
        "changed since a line was added. An empty cart has no lines.",
        parameters=[CART_TOKEN],
        responses={200: CartSerializer, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        return Response(cart_payload(request, request_cart(request)))


class CartItemViewSet(viewsets.GenericViewSet[CartLine]):
    """Lines of the caller's cart; a line of anyone else's cart is a 404."""

    permission_classes = (SignedInOrGuestCart,)
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[CartLine]:
        if getattr(self, "swagger_fake_view", False):
            return CartLine.objects.none()
        cart = request_cart(self.request)
        if cart is None:
            return CartLine.objects.none()
        return CartLine.objects.filter(cart=cart).select_related("cart")

    def get_serializer_class(self) -> type[Any]:
        if self.action == "create":
            return CartItemCreateSerializer
        return CartItemUpdateSerializer

    @extend_schema(
        summary="Add to your cart",
        description="Adding a variant already in the cart adds to its quantity. Prices and "
        "totals come from the shop: any other field in the body is ignored.",
        parameters=[CART_TOKEN],
        request=CartItemCreateSerializer,
        responses={
            201: CartSerializer,
            400: REFUSED,
            401: UNAUTHENTICATED,
            429: WAITING_ROOM_RESPONSE,
        },
    )
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        waiting = room_gate_variants(request, variant_ids=[serializer.validated_data["variant"]])
        if waiting is not None:
            return waiting_room_api_response(waiting.decision)
        # A cart made for an add that is then refused goes with it.
        with transaction.atomic():
            cart = request_cart(request, create=True)
            assert cart is not None  # noqa: S101 - create=True always returns a cart
            cart_add_item(
                cart=cart,
                variant_id=serializer.validated_data["variant"],
                quantity=serializer.validated_data["quantity"],
            )
        return Response(cart_payload(request, cart), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a line's quantity",
        parameters=[LINE_ID, CART_TOKEN],
        request=CartItemUpdateSerializer,
        responses={200: CartSerializer, 400: REFUSED, 401: UNAUTHENTICATED, 404: LINE_NOT_FOUND},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        line = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cart_set_quantity(
            cart=line.cart, line_id=line.pk, quantity=serializer.validated_data["quantity"]
        )
        return Response(cart_payload(request, line.cart))

    @extend_schema(
        summary="Remove a line",
        parameters=[LINE_ID, CART_TOKEN],
        request=None,
        responses={204: None, 401: UNAUTHENTICATED, 404: LINE_NOT_FOUND},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        line = self.get_object()
        cart_remove_item(cart=line.cart, line_id=line.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CartVoucherView(generics.GenericAPIView[Any]):
    """The voucher code kept on the caller's cart, checked again at checkout."""

    permission_classes = (SignedInOrGuestCart,)
    # Codes are guessable secrets: trying many in a row is throttled on its own.
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "voucher"
    serializer_class = CartVoucherSerializer

    def get_object(self) -> Cart:
        """The cart the code is kept on: the caller's, or the unsaved one a PUT would make.

        A singleton has no queryset or lookup for GenericAPIView's own get_object(), and
        DRF's OPTIONS calls get_object() to check a PUT's object permissions: without this,
        every signed-in OPTIONS was a 500. Unsaved because describing the view must not
        make a cart.
        """
        cart = request_cart(self.request) or Cart()
        self.check_object_permissions(self.request, cart)
        return cart

    @extend_schema(
        summary="Apply a voucher code",
        description="Checks the code against the cart's goods and keeps it on the cart; the "
        "cart's `totals.discount` then shows what it takes off. A code already on the cart is "
        "replaced. The code is checked again when the order is placed: if it stopped applying "
        "meanwhile, `voucher_problem` says why and POST /checkout/ answers 400.",
        parameters=[CART_TOKEN],
        request=CartVoucherSerializer,
        responses={200: CartSerializer, 400: VOUCHER_REFUSED, 401: UNAUTHENTICATED},
    )
    def put(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # Every refusal names `voucher`, as the service's own do, so a client has one
            # place to look whatever was wrong with the body.
            errors = cast(dict[str, list[str]], serializer.errors)
            reasons = [str(reason) for field in errors.values() for reason in field]
            raise ValidationError({"voucher": reasons})
        # A cart made for a code that is then refused goes with it.
        with transaction.atomic():
            cart = request_cart(request, create=True)
            assert cart is not None  # noqa: S101 - create=True always returns a cart
            cart_apply_voucher(
                cart=cart,
                code=serializer.validated_data["code"],
                customer=request_customer(request),
            )
        return Response(cart_payload(request, cart))

    @extend_schema(
        summary="Remove the voucher code",
        description="Takes the voucher off the cart; removing when there is none changes "
        "nothing. Answers with the cart and its new totals.",
        parameters=[CART_TOKEN],
        request=None,
        responses={200: CartSerializer, 401: UNAUTHENTICATED},
    )
    def delete(self, request: Request) -> Response:
        cart = request_cart(request)
        if cart is not None and cart.voucher_code:
            cart_remove_voucher(cart=cart)
        return Response(cart_payload(request, cart))
