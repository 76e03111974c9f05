"""A product's variants and images, edited on the product page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from apps.accounts.models import User
from apps.catalog.admin.forms import (
    VARIANT_FIELDS,
    AdminField,
    VariantAdminForm,
    option_clash_message,
    option_combination,
    variant_admin_form,
    variant_form_fields,
    variant_option_names,
)
from apps.catalog.admin.stock import variant_save
from apps.catalog.models import Product, ProductImage, Variant


class VariantInlineFormSet(BaseInlineFormSet):
    """Saves a product's variants through `variant_save`, so stock is never written raw."""

    actor: User | None = None
    refusals: list[str]

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        # The forms read the other variants from this product, which holds them prefetched,
        # instead of each loading its own variant's product. Clashes are checked in clean().
        return {**super().get_form_kwargs(index), "product": self.instance, "check_clashes": False}

    def add_fields(self, form: forms.ModelForm, index: int | None) -> None:
        super().add_fields(form, index)
        # Each row's title ("Mug (M / Red)") reads the product: without this, a query per row.
        form.instance.product = self.instance

    def clean(self) -> None:
        super().clean()
        # Rows are compared with each other rather than with the stored variants: every
        # variant of the product is a row here, and one save may swap two rows' options.
        rows = [
            (form, form.cleaned_data["options"])
            for form in self.forms
            if isinstance(form, VariantAdminForm)
            and "options" in getattr(form, "cleaned_data", {})
            and not form.cleaned_data.get("DELETE")
        ]
        for form, options in rows:
            # A clash already stored, in rows nobody touched, does not block the page.
            if not form.options_changed(options):
                continue
            key = option_combination(options)
            clash = next(
                (
                    other
                    for other, theirs in rows
                    if other is not form and option_combination(theirs) == key
                ),
                None,
            )
            if clash is not None:
                sku = clash.cleaned_data.get("sku") or clash.instance.sku
                form.add_error(None, option_clash_message(sku, options))

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
    fields = VARIANT_FIELDS
    readonly_fields = ["stock"]
    show_change_link = True

    def get_fields(self, request: HttpRequest, obj: Product | None = None) -> list[AdminField]:
        fields = super().get_fields(request, obj)
        return variant_form_fields(fields, self._option_names(request, obj))

    def get_formset(self, request: HttpRequest, obj: Product | None = None, **kwargs: Any) -> Any:
        kwargs["form"] = variant_admin_form(self._option_names(request, obj))
        return super().get_formset(request, obj, **kwargs)

    def _option_names(self, request: HttpRequest, product: Product | None) -> tuple[str, ...]:
        # Read once per request: saving writes the posted option names onto `product` after
        # the formset is built, and a page shown again with errors needs that formset's fields.
        memo: dict[int | None, tuple[str, ...]] = request.__dict__.setdefault(
            "_variant_option_names", {}
        )
        key = None if product is None else product.pk
        if key not in memo:
            memo[key] = variant_option_names(product)
        return memo[key]

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
