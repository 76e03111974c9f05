"""The signed-in user's orders: newest first, one in full, and paying a pending one; a
guest's one order by its X-Order-Token."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import Http404
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.catalog.api.pagination import KeysetCursorPagination
from apps.core.api import IDEMPOTENCY_PARAMETERS, ErrorSerializer, idempotent
from apps.core.parsers import JSONParser
from apps.core.throttling import ScopedRateThrottle
from apps.orders import selectors
from apps.orders.api.guest import ORDER_TOKEN, SignedInOrOrderToken, guest_order
from apps.orders.api.serializers import CardSerializer, OrderDetailSerializer, OrderListSerializer
from apps.orders.models import Order
from apps.payments.gateways.base import CardDetails
from apps.payments.services import order_pay

CARD_FIELDS = ("card_number", "exp_month", "exp_year", "cvc")
UNAUTHENTICATED = OpenApiResponse(
    ErrorSerializer, description="Not signed in (nor sending a guest's X-Order-Token)."
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="You have no order with this number.")
TOKEN_EXPIRED = OpenApiResponse(
    ErrorSerializer, description="A guest's X-Order-Token that is genuine but too old."
)
NUMBER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH, description="Order number, e.g. SF-…"
)


class OrderPagination(KeysetCursorPagination):
    page_size = 20


# Card fields are hidden from Django's error reports should a form-encoded body ever be
# read by one; the pay action itself accepts JSON only.
@method_decorator(sensitive_post_parameters(*CARD_FIELDS), name="dispatch")
class OrderViewSet(viewsets.ReadOnlyModelViewSet[Order]):
    """Owner only: another user's order answers 404, so order numbers cannot be probed."""

    permission_classes = (SignedInOrOrderToken,)
    pagination_class = OrderPagination
    lookup_field = "number"
    lookup_value_regex = r"[-A-Za-z0-9]+"
    # Declared so that an action may set it: DRF accepts only known attributes there.
    throttle_scope: str | None = None

    def get_serializer_class(self) -> type[BaseSerializer[Order]]:
        if self.action == "list":
            return OrderListSerializer
        if self.action == "pay":
            return CardSerializer
        return OrderDetailSerializer

    def get_queryset(self) -> QuerySet[Order]:
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return selectors.order_list(user=self._user())

    def get_object(self) -> Order:
        number = self.kwargs["number"]
        if self.request.user.is_authenticated:
            order = selectors.order_for_user(user=self._user(), number=number)
        else:
            order = guest_order(self.request, number=number)
        if order is None:
            raise Http404("No such order.")
        return order

    def _user(self) -> User:
        return cast(User, self.request.user)

    @extend_schema(
        summary="Your orders",
        description="Newest first, 20 per page by cursor: follow `next` and `previous`.",
        responses={
            200: OrderListSerializer(many=True),
            400: OpenApiResponse(
                ErrorSerializer,
                description="A `cursor` that is not one of this listing's (`fields.cursor`).",
            ),
            401: UNAUTHENTICATED,
        },
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One of your orders",
        description="Lines and totals as charged, status and its history, shipping, and "
        "payment attempts (card brand and last four digits only).",
        parameters=[NUMBER, ORDER_TOKEN],
        responses={
            200: OrderDetailSerializer,
            401: UNAUTHENTICATED,
            403: TOKEN_EXPIRED,
            404: NOT_FOUND,
        },
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Pay a pending order",
        description="Charges the card for the order's total. A declined card leaves the order "
        "pending, to be paid with another card. The card details are passed to the payment "
        "gateway and kept nowhere: responses show only the brand and last four digits. Send "
        "an `Idempotency-Key` so that a retry after a lost response cannot charge twice.",
        parameters=[NUMBER, ORDER_TOKEN, *IDEMPOTENCY_PARAMETERS],
        request=CardSerializer,
        responses={
            200: OpenApiResponse(OrderDetailSerializer, description="Paid."),
            400: OpenApiResponse(ErrorSerializer, description="Card details are malformed."),
            401: UNAUTHENTICATED,
            402: OpenApiResponse(
                ErrorSerializer, description="Declined; the order stays pending and payable."
            ),
            403: TOKEN_EXPIRED,
            404: NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer,
                description="Paid already or cancelled (`order_not_payable`), or a request "
                "with this Idempotency-Key is still running (`idempotency_in_progress`).",
            ),
            422: OpenApiResponse(
                ErrorSerializer, description="This Idempotency-Key was used for another request."
            ),
            429: OpenApiResponse(
                ErrorSerializer, description="Too many checkouts and payments; wait."
            ),
        },
    )
    # Shares the checkout rate with placing orders: a pay endpoint is where stolen card
    # numbers get tried one after another.
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[JSONParser],
        throttle_classes=[*APIView.throttle_classes, ScopedRateThrottle],
        throttle_scope="checkout",
    )
    @sensitive_variables()
    def pay(self, request: Request, number: str) -> Response:
        order = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        card = CardDetails(
            number=serializer.validated_data["card_number"],
            exp_month=serializer.validated_data["exp_month"],
            exp_year=serializer.validated_data["exp_year"],
            cvc=serializer.validated_data["cvc"],
        )
        # Not atomic: the gateway call must stay outside a transaction, and a declined
        # attempt is recorded even though the request answers 402.
        # A guest's key is theirs by the order it pays: they have no account to scope it.
        scope = None if request.user.is_authenticated else f"order:{order.number}"
        return idempotent(self, request, lambda: self._pay(order, card), atomic=False, scope=scope)

    def _pay(self, order: Order, card: CardDetails) -> Response:
        actor = self._user() if self.request.user.is_authenticated else None
        order_pay(order=order, card=card, actor=actor)
        paid = selectors.order_detail_queryset().get(pk=order.pk)
        return Response(OrderDetailSerializer(paid, context=self.get_serializer_context()).data)
