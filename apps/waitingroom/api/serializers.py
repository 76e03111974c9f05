"""The API's answer to a request held in the waiting room, and its OpenAPI description."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from apps.core.api import ErrorDetailSerializer
from apps.waitingroom.http import TICKET_HEADER

ERROR_CODE = "waiting_room"


class WaitingRoomSerializer(serializers.Serializer[Any]):
    """The 429 body: the API's one error shape, plus the caller's place in line.

    The place is absent when the 429 is the caller's request rate (`throttled`), which the
    same operations answer too.
    """

    error = ErrorDetailSerializer()
    ticket = serializers.CharField(
        required=False, help_text=f"Send it back in the `{TICKET_HEADER}` header when retrying."
    )
    position = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Place in line, 1 being next."
    )
    estimated_wait_seconds = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="A rough estimate; null when unknown.",
    )


# For views behind a room: `extend_schema(responses={429: WAITING_ROOM_RESPONSE},
# parameters=WAITING_ROOM_PARAMETERS)`.
WAITING_ROOM_RESPONSE = OpenApiResponse(
    WaitingRoomSerializer,
    description="The sale is full: the caller is in line. Retry after `Retry-After` "
    f"seconds with the ticket in the `{TICKET_HEADER}` header; the place is kept.",
)

WAITING_ROOM_PARAMETERS = [
    OpenApiParameter(
        TICKET_HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="The ticket of an earlier 429 from the waiting room.",
    ),
    OpenApiParameter(
        "Retry-After",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=[429],
        description="Seconds to wait before asking again.",
    ),
]
