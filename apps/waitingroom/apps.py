from __future__ import annotations

from django.apps import AppConfig


class WaitingRoomConfig(AppConfig):
    """Queues shoppers in front of a flash sale and admits them at a steady pace."""

    name = "apps.waitingroom"
    label = "waitingroom"
