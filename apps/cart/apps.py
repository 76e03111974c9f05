from __future__ import annotations

from django.apps import AppConfig


class CartConfig(AppConfig):
    """Shopping carts, for signed-in and anonymous shoppers alike."""

    name = "apps.cart"
    label = "cart"

    def ready(self) -> None:
        from apps.cart import signals  # noqa: F401 - connects the login merge
