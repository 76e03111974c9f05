"""Changelist filters: stock state for products and variants, category with its subtree."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest

from apps.catalog.models import LOW_STOCK_THRESHOLD, Category, Variant

STOCK_STATES = [
    ("in_stock", "In stock"),
    ("low", f"Low (1 to {LOW_STOCK_THRESHOLD} left)"),
    ("sold_out", "Sold out"),
]


class ProductStockFilter(admin.SimpleListFilter):
    """A product is as available as its best-stocked active variant."""

    title = "stock state"
    parameter_name = "stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return STOCK_STATES

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        active = Variant.objects.filter(product=OuterRef("pk"), is_active=True)
        some = Exists(active.filter(stock__gt=0))
        plenty = Exists(active.filter(stock__gt=LOW_STOCK_THRESHOLD))
        match self.value():
            case "in_stock":
                return queryset.filter(plenty)
            case "low":
                return queryset.filter(some).exclude(plenty)
            case "sold_out":
                return queryset.exclude(some)
        return queryset


class VariantStockFilter(admin.SimpleListFilter):
    """The same states as the storefront shows for one variant."""

    title = "stock state"
    parameter_name = "stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return STOCK_STATES

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        match self.value():
            case "in_stock":
                return queryset.filter(is_active=True, stock__gt=LOW_STOCK_THRESHOLD)
            case "low":
                return queryset.filter(is_active=True, stock__gt=0, stock__lte=LOW_STOCK_THRESHOLD)
            case "sold_out":
                return queryset.exclude(is_active=True, stock__gt=0)
        return queryset


class CategoryTreeFilter(admin.SimpleListFilter):
    """Products in a category or anywhere below it: one prefix match on the tree path."""

    title = "category"
    parameter_name = "category"
    _paths: dict[str, str]

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        self._paths = {}
        choices = []
        for category in Category.objects.get_tree().only("pk", "path", "depth", "name"):
            self._paths[str(category.pk)] = category.path
            choices.append((str(category.pk), f"{'-- ' * (category.depth - 1)}{category.name}"))
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        if value not in self._paths:
            return queryset.none()
        return queryset.filter(category__path__startswith=self._paths[value])
