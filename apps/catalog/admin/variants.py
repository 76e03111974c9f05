"""Variants on their own (SKU search, inline price edits) and the read-only stock ledger."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.catalog import services
from apps.catalog.admin.base import CatalogChangesAdmin
from apps.catalog.admin.filters import VariantStockFilter
from apps.catalog.admin.forms import (
    VARIANT_FIELDS,
    AdminField,
    VariantAdminForm,
    variant_admin_form,
    variant_form_fields,
    variant_option_names,
)
from apps.catalog.admin.stock import request_actor, variant_save
from apps.catalog.models import StockMovement, Variant


@admin.register(Variant)
class VariantAdmin(CatalogChangesAdmin, admin.ModelAdmin):
    form = VariantAdminForm
    list_display = [
        "sku",
        "product",
        "option_values",
        "price",
        "compare_at_price",
        "stock",
        "is_active",
    ]
    list_editable = ["price", "compare_at_price"]
    list_filter = [VariantStockFilter, "is_active"]
    list_select_related = ["product"]
    search_fields = ["sku", "product__title"]
    search_help_text = "SKU or product title."
    autocomplete_fields = ["product"]
    fields = ("product", *VARIANT_FIELDS)
    # The unique SKU index serves this order straight, without sorting every variant.
    ordering = ["sku"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    @admin.display(description="Options")
    def option_values(self, variant: Variant) -> str:
        return " / ".join(str(value) for value in variant.options.values())

    def get_fields(self, request: HttpRequest, obj: Variant | None = None) -> list[AdminField]:
        fields = super().get_fields(request, obj)
        return variant_form_fields(fields, self._option_names(obj))

    def get_form(
        self, request: HttpRequest, obj: Variant | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = variant_admin_form(self._option_names(obj))
        return super().get_form(request, obj, change, **kwargs)

    @staticmethod
    def _option_names(variant: Variant | None) -> tuple[str, ...]:
        # A new variant's product is picked on the page itself, so its names are unknown
        # while the form is drawn: the add page takes "Name: value" lines instead.
        return () if variant is None else variant_option_names(variant.product)

    def get_readonly_fields(self, request: HttpRequest, obj: Variant | None = None) -> list[str]:
        # Moving a variant to another product would need two prices refreshed; staff add
        # a new variant there instead.
        return ["stock"] if obj is None else ["product", "stock"]

    def save_model(self, request: HttpRequest, obj: Variant, form: Any, change: Any) -> None:
        for refusal in variant_save(obj, form, actor=request_actor(request)):
            self.message_user(request, refusal, messages.ERROR)
        services.product_variants_changed(product_ids=[obj.product_id])

    def delete_model(self, request: HttpRequest, obj: Variant) -> None:
        super().delete_model(request, obj)
        services.product_variants_changed(product_ids=[obj.product_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        product_ids = set(queryset.values_list("product_id", flat=True))
        super().delete_queryset(request, queryset)
        services.product_variants_changed(product_ids=product_ids)


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    """The stock ledger: read-only, since a movement is never edited after the fact."""

    list_display = ["created_at", "sku", "delta", "stock_after", "reason", "actor", "note"]
    list_filter = ["reason"]
    list_select_related = ["variant", "actor"]
    search_fields = ["variant__sku"]
    search_help_text = "Variant SKU."
    # Ids grow with time and have an index; sorting millions of rows by created_at does not.
    ordering = ["-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    @admin.display(description="SKU", ordering="variant__sku")
    def sku(self, movement: StockMovement) -> str:
        return movement.variant.sku

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StockMovement | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StockMovement | None = None) -> bool:
        return False
