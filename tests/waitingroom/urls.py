"""The site's URLs plus a page and an endpoint held in a waiting room, for these tests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.waitingroom.api.responses import waiting_room_api_response
from apps.waitingroom.api.serializers import WAITING_ROOM_PARAMETERS, WAITING_ROOM_RESPONSE
from apps.waitingroom.http import ticket_from_request, waiting_room_response
from apps.waitingroom.rooms import Decision
from apps.waitingroom.tickets import ticket_issue
from config.urls import urlpatterns as site_urlpatterns
from tests.waitingroom.conftest import T0, make_room

ROOM = make_room("page-test", capacity=0)


def waiting(position: int | None = 12, wait: int | None = 180) -> Decision:
    ticket = ticket_issue(config=ROOM, visitor="visitor", admitted=False, now=T0)
    return Decision(
        admitted=False,
        ticket=ticket,
        position=position,
        estimated_wait_seconds=wait,
        retry_after_seconds=20,
    )


def sale_page(request: HttpRequest) -> HttpResponse:
    return waiting_room_response(
        request, waiting(), title="Winter sale", retry_url="/sale/?x=1&y=2"
    )


class SaleEndpoint(APIView):
    authentication_classes: list[type] = []
    permission_classes: list[type] = []

    @extend_schema(
        responses={200: None, 429: WAITING_ROOM_RESPONSE}, parameters=WAITING_ROOM_PARAMETERS
    )
    def get(self, request: Request) -> Response:
        if request.query_params.get("echo"):
            return Response({"ticket": ticket_from_request(request)})
        return waiting_room_api_response(waiting())


urlpatterns = [
    path("wr-test/sale/", sale_page),
    path("api/v1/wr-test/sale/", SaleEndpoint.as_view()),
    *site_urlpatterns,
]
