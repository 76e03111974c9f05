"""Search suggestions as the shopper types, for programs."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import ErrorSerializer
from apps.search import selectors
from apps.search.api.serializers import SuggestionListSerializer, SuggestionQuerySerializer


class SuggestionsView(APIView):
    """Product titles, brands and categories with a word starting with `q`."""

    permission_classes = (AllowAny,)
    # The same for everyone: no session or user lookups.
    authentication_classes = ()

    @extend_schema(
        summary="Search suggestions",
        description="Up to eight phrases of the catalog (product titles, brands, category "
        "names) with a word that starts with `q`, most products first. Built from the "
        "catalog every few minutes, so a product added just now may take that long to "
        "appear. Fewer than two characters give an empty list.",
        parameters=[SuggestionQuerySerializer],
        responses={
            200: SuggestionListSerializer,
            400: OpenApiResponse(ErrorSerializer, description="`q` is missing or too long."),
        },
    )
    def get(self, request: Request) -> Response:
        query = SuggestionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.suggestions(query=query.validated_data["q"])
        return Response(SuggestionListSerializer({"suggestions": rows}).data)
