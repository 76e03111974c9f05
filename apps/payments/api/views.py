"""The payment gateway's webhook: signed events about charges."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api import ErrorSerializer
from apps.payments.webhooks import SIGNATURE_HEADER, webhook_receive


class RawJSONParser(BaseParser):
    """Leaves the body alone: the signature is over the exact bytes the gateway sent."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):  # type: ignore[no-untyped-def]
        return {}


class PaymentWebhookView(APIView):
    """Receives gateway events; each event id is applied once, replays answer 200."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    # Gateways retry on failure; a throttled event would only come back later.
    throttle_classes = ()
    parser_classes = (RawJSONParser,)

    @extend_schema(
        summary="Payment gateway webhook",
        description=(
            "Called by the payment gateway, not by API clients. The body is a JSON event "
            '`{"id", "type": "charge.succeeded" | "charge.failed", "data": {"reference", ...}}` '
            f"signed in the `{SIGNATURE_HEADER}` header as `t=<unix time>,v1=<hex HMAC-SHA256 "
            'of "<t>." + body>` with the shared webhook secret. Events older than five minutes '
            "are refused. A repeated event id changes nothing and answers 200."
        ),
        parameters=[
            OpenApiParameter(
                SIGNATURE_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="`t=<unix time>,v1=<hex signature>`",
            )
        ],
        request={
            "application/json": inline_serializer(
                "WebhookEvent",
                {
                    "id": serializers.CharField(),
                    "type": serializers.CharField(),
                    "data": serializers.DictField(),
                },
            )
        },
        responses={
            200: inline_serializer("WebhookReceived", {"received": serializers.BooleanField()}),
            400: OpenApiResponse(
                ErrorSerializer, description="Bad signature, old timestamp or malformed event."
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        webhook_receive(
            body=request._request.body,
            header=request.headers.get(SIGNATURE_HEADER, ""),
        )
        return Response({"received": True})
