"""Bulk actions on the product changelist; each write goes through a catalog service."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse

from apps.catalog import services
from apps.catalog.admin.export import products_csv_response
from apps.catalog.admin.forms import MoveToCategoryForm
from apps.catalog.models import Product


@admin.action(description="Activate selected products", permissions=["change"])
def activate(
    modeladmin: admin.ModelAdmin[Product], request: HttpRequest, queryset: QuerySet[Product]
) -> None:
    """Puts the selected products on sale."""
    changed = services.product_set_active(
        product_ids=queryset.values_list("pk", flat=True), active=True
    )
    modeladmin.message_user(request, f"{changed} product(s) activated.", messages.SUCCESS)


@admin.action(description="Deactivate selected products", permissions=["change"])
def deactivate(
    modeladmin: admin.ModelAdmin[Product], request: HttpRequest, queryset: QuerySet[Product]
) -> None:
    """Takes the selected products off sale."""
    changed = services.product_set_active(
        product_ids=queryset.values_list("pk", flat=True), active=False
    )
    modeladmin.message_user(request, f"{changed} product(s) deactivated.", messages.SUCCESS)


@admin.action(description="Move selected products to a category…", permissions=["change"])
def move_to_category(
    modeladmin: admin.ModelAdmin[Product], request: HttpRequest, queryset: QuerySet[Product]
) -> TemplateResponse | None:
    """Asks for a category on an intermediate page, then moves the selection there."""
    form = MoveToCategoryForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        category = form.cleaned_data["category"]
        moved = services.product_move_to_category(
            product_ids=queryset.values_list("pk", flat=True), category=category
        )
        modeladmin.message_user(
            request, f"{moved} product(s) moved to {category.name}.", messages.SUCCESS
        )
        return None
    count = queryset.count()
    preview = list(queryset.select_related("category")[:20])
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Move products to a category",
        "opts": modeladmin.opts,
        "form": form,
        "count": count,
        "preview": preview,
        "more": count - len(preview),
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    return TemplateResponse(request, "admin/catalog/product/move_to_category.html", context)


@admin.action(description="Export selected products to CSV", permissions=["view"])
def export_selected_csv(
    modeladmin: admin.ModelAdmin[Product], request: HttpRequest, queryset: QuerySet[Product]
) -> StreamingHttpResponse:
    """The same CSV as the changelist export, for the selected products only."""
    return products_csv_response(queryset)
