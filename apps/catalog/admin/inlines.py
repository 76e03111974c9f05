"""A product's variants and images, edited on the product page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from apps.accounts.models import User
from apps.catalog.admin.forms import VariantAdminForm
from apps.catalog.admin.stock import variant_save
from apps.catalog.models import Product, ProductImage, Variant


class VariantInlineFormSet(BaseInlineFormSet):
    """Saves a product's variants through `variant_save`, so stock is never written raw."""

    actor: User | None = None
    refusals: list[str]

    def save(self, commit: bool = True) -> list[Variant]:
        self.refusals = []
        return super().save(commit=commit)

    def save_new(self, form: forms.ModelForm, commit: bool = True) -> Variant:
        variant: Variant = super().save_new(form, commit=False)
        self.refusals += variant_save(variant, form, actor=self.actor)
        return variant

    def save_existing(
        self,
        form: forms.ModelForm,
        obj: Variant,
        commit: bool = True,
    ) -> Variant:
        variant: Variant = super().save_existing(form, obj, commit=False)
        self.refusals += variant_save(variant, form, actor=self.actor)
        return variant


class VariantInline(admin.TabularInline):
    model = Variant
    form = VariantAdminForm
    formset = VariantInlineFormSet
    fields = [
        "sku",
        "options",
        "price",
        "compare_at_price",
        "is_active",
        "weight_grams",
        "position",
        "stock",
        "stock_change",
        "stock_note",
    ]
    readonly_fields = ["stock"]
    show_change_link = True

    def get_extra(self, request: HttpRequest, obj: Product | None = None, **kwargs: Any) -> int:
        return 1 if obj is None else 0


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    fields = ["image", "alt_text", "position", "size"]
    readonly_fields = ["size"]
    extra = 0

    @admin.display(description="Size")
    def size(self, image: ProductImage) -> str:
        return f"{image.width} x {image.height}" if image.width else "renditions pending"
