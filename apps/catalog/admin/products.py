"""The product changelist and page: stock columns, SKU search, inlines and the CSV export."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.text import smart_split, unescape_string_literal

from apps.catalog import services
from apps.catalog.admin.actions import activate, deactivate, export_selected_csv, move_to_category
from apps.catalog.admin.base import CatalogChangesAdmin
from apps.catalog.admin.export import products_csv_response
from apps.catalog.admin.filters import CategoryTreeFilter, ProductStockFilter
from apps.catalog.admin.forms import ProductAdminForm
from apps.catalog.admin.inlines import ProductImageInline, VariantInline, VariantInlineFormSet
from apps.catalog.admin.stock import request_actor
from apps.catalog.models import LOW_STOCK_THRESHOLD, Product, ProductImage, Variant


class ProductChangeList(ChangeList):
    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
        # No list column, filter or export shows these, and a page of 100 products need
        # not carry 100 descriptions and search vectors.
        return (
            super()
            .get_queryset(request, exclude_parameters)
            .defer("description", "search_vector", "seo_title", "seo_description")
        )


@admin.register(Product)
class ProductAdmin(CatalogChangesAdmin, admin.ModelAdmin):
    form = ProductAdminForm
    inlines = [VariantInline, ProductImageInline]
    list_display = ["title", "category", "price", "stock", "is_active", "is_featured", "updated_at"]
    list_filter = [CategoryTreeFilter, "is_active", "is_featured", ProductStockFilter]
    list_select_related = ["category"]
    autocomplete_fields = ["category"]
    prepopulated_fields = {"slug": ("title",)}
    # Searched by get_search_results(); listed so the search box and autocomplete appear.
    search_fields = ["title", "slug", "variants__sku"]
    search_help_text = "Title, slug or variant SKU."
    readonly_fields = ["price", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "category",
                    "brand",
                    "description",
                    "option_names",
                    ("is_active", "is_featured"),
                ]
            },
        ),
        ("Price", {"fields": ["price"], "description": "The lowest active variant price."}),
        ("Search engines", {"fields": ["seo_title", "seo_description"], "classes": ["collapse"]}),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    ordering = ["-created_at", "-id"]
    actions = [activate, deactivate, move_to_category, export_selected_csv]
    # 10,000 products: one COUNT for the filtered list, none for the total or the facets.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        active = Variant.objects.filter(product=OuterRef("pk"), is_active=True).order_by()
        return (
            super()
            .get_queryset(request)
            .annotate(
                stock_total=Coalesce(
                    Subquery(active.values("product").annotate(n=Sum("stock")).values("n")), 0
                ),
                stock_best=Coalesce(
                    Subquery(active.values("product").annotate(n=Max("stock")).values("n")), 0
                ),
            )
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ProductChangeList

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Product], bool]:
        # Each word must match the title, the slug or a variant SKU. The SKU is an EXISTS
        # rather than Django's join on variants, which would need DISTINCT over every row.
        for word in smart_split(search_term):
            if word[:1] in {'"', "'"} and word[-1:] == word[:1]:
                word = unescape_string_literal(word)
            sku = Exists(Variant.objects.filter(product=OuterRef("pk"), sku__icontains=word))
            queryset = queryset.filter(sku | Q(title__icontains=word) | Q(slug__icontains=word))
        return queryset, False

    @admin.display(description="Stock", ordering="stock_total")
    def stock(self, product: Product) -> str:
        best = getattr(product, "stock_best", 0)
        state = "sold out" if best <= 0 else "low" if best <= LOW_STOCK_THRESHOLD else "in stock"
        return f"{getattr(product, 'stock_total', 0)} ({state})"

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: Any) -> None:
        if isinstance(formset, VariantInlineFormSet):
            formset.actor = request_actor(request)
            formset.save()
            for refusal in formset.refusals:
                self.message_user(request, refusal, messages.ERROR)
            return
        super().save_formset(request, form, formset, change)
        if formset.model is ProductImage:
            changed_images = [
                image for image, fields in formset.changed_objects if "image" in fields
            ]
            for image in [*formset.new_objects, *changed_images]:
                services.product_image_renditions_request(image=image)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: Any) -> None:
        super().save_related(request, form, formsets, change)
        # Variants added, repriced, switched off or deleted above move the lowest price and
        # the facets; so do the product's own category and visibility (the category it was
        # in is the change form's initial value).
        services.product_variants_changed(
            product_ids=[form.instance.pk], category_ids=[form.initial.get("category")]
        )

    def delete_model(self, request: HttpRequest, obj: Product) -> None:
        category_id = obj.category_id
        super().delete_model(request, obj)
        services.category_facets_refresh(category_ids=[category_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        category_ids = set(queryset.order_by().values_list("category_id", flat=True).distinct())
        super().delete_queryset(request, queryset)
        services.category_facets_refresh(category_ids=category_ids)

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_csv_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_export",
        )
        return [export, *super().get_urls()]

    def export_csv_view(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        """Streams the changelist as filtered and searched, one row per variant."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:catalog_product_changelist") + "?e=1")
        return products_csv_response(changelist.queryset)
