from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Customers and staff: the user model, sign-in, profile and address book."""

    name = "apps.accounts"
    label = "accounts"
