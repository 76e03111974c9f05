from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared bits: errors, base models, health checks, request logging."""

    name = "apps.core"
    label = "core"
