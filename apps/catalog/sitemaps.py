"""/sitemap.xml: categories and products that shoppers can see."""

from __future__ import annotations

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet

from apps.catalog.models import Category, Product
from apps.catalog.selectors import visible_products


class CategorySitemap(Sitemap):
    changefreq = "daily"
    priority = 0.6

    def items(self) -> QuerySet[Category]:
        return Category.objects.filter(is_active=True).order_by("path")


class ProductSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8
    limit = 10_000  # one sitemap file per 10,000 products, listed by /sitemap.xml

    def items(self) -> QuerySet[Product]:
        return visible_products().only("slug", "updated_at").order_by("id")

    def lastmod(self, item: Product) -> datetime:
        return item.updated_at


SITEMAPS = {"categories": CategorySitemap, "products": ProductSitemap}
