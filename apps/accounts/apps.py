from __future__ import annotations

from django.apps import AppConfig

# Imported as a module, not the class: a second AppConfig class in this module's namespace
# would make Django's automatic choice of this app's config ambiguous (Django ticket #32692).
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    """Customers and staff: the user model, sign-in, profile and address book."""

    name = "apps.accounts"
    label = "accounts"


class ShopAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, its default site replaced by the rate-limited ShopAdminSite."""

    # Installed by its dotted path in INSTALLED_APPS, never picked for "apps.accounts".
    default = False
    default_site = "apps.accounts.admin_site.ShopAdminSite"
