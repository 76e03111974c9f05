from __future__ import annotations

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """Categories, products, variants, images and stock movements."""

    name = "apps.catalog"
    label = "catalog"
