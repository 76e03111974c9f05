"""Read-only sale endpoints: the sales shoppers can see, and one sale with its items."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api import ErrorSerializer
from apps.sales import selectors
from apps.sales.api.serializers import SaleSerializer
from apps.sales.models import Sale


class SaleViewSet(viewsets.GenericViewSet[Sale]):
    """Live and scheduled sales, by slug."""

    serializer_class = SaleSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    pagination_class = None
    permission_classes = (AllowAny,)
    # Sales are the same for everyone: no session or user lookups on these calls.
    authentication_classes = ()

    def _render(self, sales: list[Sale], *, many: bool) -> Response:
        context = {
            **self.get_serializer_context(),
            "items": selectors.sale_items_shown(sales=sales),
        }
        serializer = self.get_serializer(sales if many else sales[0], many=many, context=context)
        return Response(serializer.data)

    @extend_schema(
        summary="Sales",
        description="Sales that are live now, then those scheduled to start, soonest first, "
        "each with its items. Ended, suspended and draft sales are not listed.",
        responses={200: SaleSerializer(many=True)},
    )
    def list(self, request: Request) -> Response:
        return self._render(selectors.sale_list_public(), many=True)

    @extend_schema(
        summary="Sale",
        description="A scheduled, live, suspended or ended sale with its items. A draft "
        "is not found.",
        parameters=[
            OpenApiParameter(
                "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Sale slug."
            )
        ],
        responses={
            200: SaleSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No visible sale has this slug."),
        },
    )
    def retrieve(self, request: Request, slug: str) -> Response:
        try:
            sale = selectors.sale_get_public(slug=slug)
        except Sale.DoesNotExist as error:
            raise Http404("No such sale.") from error
        return self._render([sale], many=False)
