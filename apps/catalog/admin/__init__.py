"""Staff screens for the catalog. Every write that matters goes through the catalog services.

Importing this package registers the ModelAdmins (the admin autodiscovers it by this
name); the names other code imports from `apps.catalog.admin` are re-exported here.
"""

from __future__ import annotations

from apps.catalog.admin.base import CatalogChangesAdmin
from apps.catalog.admin.categories import CategoryAdmin
from apps.catalog.admin.export import EXPORT_CHUNK_SIZE, EXPORT_HEADER
from apps.catalog.admin.filters import (
    STOCK_STATES,
    CategoryTreeFilter,
    ProductStockFilter,
    VariantStockFilter,
)
from apps.catalog.admin.forms import (
    MAX_STOCK_CHANGE,
    MoveToCategoryForm,
    ProductAdminForm,
    StockChange,
    StockChangeField,
    VariantAdminForm,
)
from apps.catalog.admin.imports import CatalogImportAdmin
from apps.catalog.admin.inlines import ProductImageInline, VariantInline, VariantInlineFormSet
from apps.catalog.admin.products import ProductAdmin, ProductChangeList
from apps.catalog.admin.variants import StockMovementAdmin, VariantAdmin

__all__ = [
    "EXPORT_CHUNK_SIZE",
    "EXPORT_HEADER",
    "MAX_STOCK_CHANGE",
    "STOCK_STATES",
    "CatalogChangesAdmin",
    "CatalogImportAdmin",
    "CategoryAdmin",
    "CategoryTreeFilter",
    "MoveToCategoryForm",
    "ProductAdmin",
    "ProductAdminForm",
    "ProductChangeList",
    "ProductImageInline",
    "ProductStockFilter",
    "StockChange",
    "StockChangeField",
    "StockMovementAdmin",
    "VariantAdmin",
    "VariantAdminForm",
    "VariantInline",
    "VariantInlineFormSet",
    "VariantStockFilter",
]
