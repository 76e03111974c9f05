"""The category tree's staff screen."""

from __future__ import annotations

from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from apps.catalog.admin.base import CatalogChangesAdmin
from apps.catalog.models import Category


@admin.register(Category)
class CategoryAdmin(CatalogChangesAdmin, TreeAdmin):
    form = movenodeform_factory(Category)
    list_display = ["name", "slug", "is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}
