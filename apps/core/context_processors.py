"""Template context shared by every page."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse

# The header's and footer's links, by the name the base template uses.
_SHELL_ROUTES = {
    "home": "home",
    "catalog": "catalog:list",
    "cart": "cart:detail",
    "login": "accounts:login",
    "signup": "accounts:signup",
    "logout": "accounts:logout",
    "profile": "accounts:profile",
    "admin": "admin:index",
    "suggest": "search:suggest",
}
_SHELL_STATIC = {
    "stylesheet": "css/shop.css",
    "favicon": "img/favicon.svg",
    "suggest_script": "js/search-suggest.js",
}


def shop(request: HttpRequest) -> dict[str, Any]:
    """Shop-wide names and the links of the page shell."""
    return {
        "SHOP_NAME": settings.SHOP_NAME,
        "SITE_URL": settings.SITE_URL,
        "SHOP_CURRENCY": settings.SHOP_CURRENCY,
        "SHOP_CURRENCY_SYMBOL": settings.SHOP_CURRENCY_SYMBOL,
        "MEDIA_URL": settings.MEDIA_URL,
        "shell": shell_links(get_script_prefix()),
    }


@functools.cache
def shell_links(script_prefix: str) -> dict[str, str]:
    """The shell's URLs, worked out once per process rather than by eight `{% url %}` and
    `{% static %}` tags on every page (a tenth of a warm page's time). They depend only on
    the URLconf, the script prefix (hence the argument) and the static manifest."""
    links = {name: reverse(route) for name, route in _SHELL_ROUTES.items()}
    return links | {name: static(path) for name, path in _SHELL_STATIC.items()}


@receiver(setting_changed)
def _forget_shell_links(*, setting: str, **kwargs: Any) -> None:
    if setting in ("ROOT_URLCONF", "STATIC_URL", "STORAGES", "FORCE_SCRIPT_NAME"):
        shell_links.cache_clear()
