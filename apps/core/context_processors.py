"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def shop(request: HttpRequest) -> dict[str, Any]:
    """Shop-wide names the base template needs."""
    return {
        "SHOP_NAME": settings.SHOP_NAME,
        "SITE_URL": settings.SITE_URL,
        "SHOP_CURRENCY": settings.SHOP_CURRENCY,
        "SHOP_CURRENCY_SYMBOL": settings.SHOP_CURRENCY_SYMBOL,
        "MEDIA_URL": settings.MEDIA_URL,
    }
