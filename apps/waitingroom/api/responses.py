"""Turning a decision that did not admit into the API's 429."""

from __future__ import annotations

from rest_framework import status
from rest_framework.response import Response

from apps.waitingroom.api.serializers import ERROR_CODE, WaitingRoomSerializer
from apps.waitingroom.rooms import Decision


def waiting_room_message(decision: Decision) -> str:
    """The sentence a client may show its shopper."""
    if decision.position is None:
        return "The sale is busy; please try again shortly."
    return f"The sale is busy: you are number {decision.position} in line."


def waiting_room_api_response(decision: Decision) -> Response:
    """429 with Retry-After and the error shape of apps.core.api, plus the place in line."""
    body = WaitingRoomSerializer(
        {
            "error": {"code": ERROR_CODE, "message": waiting_room_message(decision), "fields": {}},
            "ticket": decision.ticket,
            "position": decision.position,
            "estimated_wait_seconds": decision.estimated_wait_seconds,
        }
    ).data
    return Response(
        body,
        status=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={
            "Retry-After": str(max(1, decision.retry_after_seconds)),
            "Cache-Control": "no-store",
        },
    )
