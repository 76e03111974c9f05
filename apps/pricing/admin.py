"""Staff screens for the shipping methods offered to shoppers."""

from __future__ import annotations

from django.contrib import admin

from apps.pricing.models import ShippingMethod


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = ["name", "price", "free_above", "is_active", "position"]
    list_display_links = ["name"]
    list_editable = ["price", "free_above", "is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    fields = ["name", "description", "price", "free_above", "is_active", "position"]
