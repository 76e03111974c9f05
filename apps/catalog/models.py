"""The catalog: a category tree, products with variants, images and stock movements."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import Truncator
from treebeard.mp_tree import MP_Node

from apps.catalog.choices import StockReason
from apps.core.models import TimeStampedModel

LOW_STOCK_THRESHOLD = 5


class Category(MP_Node):
    """A node of the category tree (materialised path: a subtree is one prefix)."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True, db_index=True)

    node_order_by = ["position", "name"]

    class Meta:
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:category", kwargs={"slug": self.slug})


class Product(TimeStampedModel):
    """Something the shop sells; shoppers buy one of its variants."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    brand = models.CharField(max_length=100, blank=True, db_index=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    is_active = models.BooleanField(default=True)
    is_featured = models.BooleanField(default=False)
    option_names = models.JSONField(
        default=list,
        blank=True,
        help_text='Names of the options variants differ by, e.g. ["Size", "Colour"].',
    )
    # The lowest active variant price, kept by the catalog services so that listings can
    # sort and filter by price on an index instead of aggregating variants per row.
    price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    seo_title = models.CharField("SEO title", max_length=200, blank=True)
    seo_description = models.CharField("SEO description", max_length=300, blank=True)
    # Filled by a PostgreSQL trigger (see migration 0002) from title > brand > description,
    # so bulk inserts and updates are searchable too. Unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        indexes = [
            # Newest first ends with "-id", the listing's tie-breaker: the index then hands
            # rows over in the exact order (no sort), and covers the `id` a count joins on.
            models.Index(
                fields=["is_active", "category", "-created_at", "-id"], name="product_cat_newest"
            ),
            models.Index(fields=["is_active", "category", "price"], name="product_cat_price"),
            models.Index(fields=["is_active", "category", "title"], name="product_cat_title"),
            models.Index(fields=["is_active", "-created_at", "-id"], name="product_newest"),
            models.Index(fields=["is_active", "price", "id"], name="product_price"),
            models.Index(fields=["is_active", "title", "id"], name="product_title"),
            models.Index(fields=["is_active", "is_featured"], name="product_featured"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalog:product", kwargs={"slug": self.slug})

    # The product page's descriptions for search engines and link previews. Cached on the
    # instance: the page caches the product whole, so they are cut once, not per request.
    @cached_property
    def meta_description(self) -> str:
        return Truncator(self.seo_description or self.description).chars(155)

    @cached_property
    def og_description(self) -> str:
        return Truncator(self.seo_description or self.description).chars(200)


class Variant(models.Model):
    """A buyable version of a product: one SKU, one price, its own stock."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField("SKU", max_length=64, unique=True)
    options = models.JSONField(
        default=dict, blank=True, help_text='e.g. {"Size": "M", "Colour": "Red"}'
    )
    price = models.DecimalField(
        max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    compare_at_price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    # Changed only through apps.catalog.services.stock_* so every change is a movement.
    stock = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)
    weight_grams = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stock__gte=0), name="variant_stock_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(price__gte=0), name="variant_price_not_negative"
            ),
        ]
        indexes = [
            # On PostgreSQL, migration 0004 rebuilds this with INCLUDE (options) so that a
            # category's option facets are read from the index alone. (Declared here
            # without it: SQLite has no covering indexes and would warn on every migrate.)
            models.Index(fields=["product", "is_active", "stock"], name="variant_product_stock"),
        ]

    def __str__(self) -> str:
        return f"{self.product.title} ({self.label})" if self.options else self.sku

    @property
    def label(self) -> str:
        """Option values in the product's option order ("M / Red"), or the SKU."""
        options = self.options or {}
        names = list(options)
        # PostgreSQL's jsonb keeps no key order; the product's option_names do. Only use
        # them when the product is already loaded, so a label never costs a query.
        if "product" in self._state.fields_cache:
            ordered = [n for n in self.product.option_names if n in options]
            names = ordered + [n for n in names if n not in ordered]
        return " / ".join(str(options[n]) for n in names) or self.sku

    @property
    def stock_state(self) -> str:
        if not self.is_active or self.stock <= 0:
            return "sold_out"
        if self.stock <= LOW_STOCK_THRESHOLD:
            return "low"
        return "in_stock"

    @property
    def on_sale(self) -> bool:
        return self.compare_at_price is not None and self.compare_at_price > self.price


class CategoryFacet(models.Model):
    """How many visible products of one category offer an option value, kept by the writes.

    One row per (category, option name, value) with the number of active products that
    have an active variant with that value, and one row per category with an empty name
    and value holding its number of active products. A listing sums the rows of the
    visible categories it shows (apps.catalog.facets keeps them; see docs/ARCHITECTURE.md).
    Stock is not counted: the listing shows sold-out products too, and so checkout never
    writes here.
    """

    # No index of its own: the unique constraint's index starts with it.
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    name = models.TextField()
    value = models.TextField()
    products = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # Also the index a listing reads its categories' rows through.
            models.UniqueConstraint(
                fields=["category", "name", "value"], name="facet_category_name_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.value} ({self.products})" if self.name else str(self.products)


def product_image_path(instance: ProductImage, filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    """A product photo; listing and detail renditions are made by a Celery task."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    # Plain ImageField without width_field/height_field: those make Django open the file
    # whenever an instance loads with them unset. The renditions task records the sizes.
    image = models.ImageField(upload_to=product_image_path)
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    alt_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    # {"listing": [{"width": 400, "height": 400, "webp": "...", "jpeg": "..."}, ...], ...}
    renditions = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["product", "position"], name="image_product_position")]

    def __str__(self) -> str:
        return self.alt_text or self.image.name or ""

    def rendition_set(self, kind: str) -> list[dict[str, Any]]:
        return list(self.renditions.get(kind, []))


class StockMovement(models.Model):
    """One change of a variant's stock: who, when, why, by how much, and the result."""

    # PROTECT: a variant with stock history is deactivated, never deleted with its history.
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="movements")
    delta = models.IntegerField()
    stock_after = models.IntegerField()
    reason = models.CharField(max_length=20, choices=StockReason.choices)
    note = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["variant", "-created_at"], name="movement_variant_time")]

    def __str__(self) -> str:
        return f"{self.variant.sku} {self.delta:+d} ({self.get_reason_display()})"


def catalog_import_path(instance: CatalogImport, filename: str) -> str:
    return f"imports/{timezone.now():%Y/%m}/{filename}"


class CatalogImport(TimeStampedModel):
    """One CSV file staff brought in: its check (dry run), its import, and what it refused.

    The file is checked in full before anything is written; the import then runs in one
    transaction (apps.catalog.imports), so a file is either imported or not at all.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be checked"
        REFUSED = "refused", "Refused (the file cannot be read)"
        CHECKED = "checked", "Checked, waiting for confirmation"
        QUEUED = "queued", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed (nothing was imported)"

    file = models.FileField(upload_to=catalog_import_path)
    file_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the file's rows do (or would do, after the check): variants created, changed,
    # left as they were, refused; products and categories created.
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    products_created = models.PositiveIntegerField(default=0)
    categories_created = models.PositiveIntegerField(default=0)
    movements = models.PositiveIntegerField(default=0)
    # The first refusals, to show on the page ([line, sku, reason]); all are in refused_file.
    refusals = models.JSONField(default=list, blank=True)
    refused_file = models.FileField(upload_to=catalog_import_path, blank=True)
    # Photos named after product slugs, optional (apps/catalog/imports/images.py).
    images = models.FileField(upload_to=catalog_import_path, blank=True)
    images_added = models.PositiveIntegerField(default=0)
    image_refusals = models.JSONField(default=list, blank=True)  # [[file name, reason]]
    error = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in {self.Status.PENDING, self.Status.QUEUED}

    @property
    def importable(self) -> int:
        """Rows an import would write or keep: all but the refused."""
        return self.rows - self.refused


class CatalogImportKey(models.Model):
    """A SKU or product slug an import has met, and where: kept in the database rather
    than in memory, so that a file of any length is checked for repeats in chunks."""

    # No index of its own: the unique constraint's index starts with it. With one, the
    # planner (without statistics for rows written in the import's own transaction) read
    # the job's every key through it for each chunk's lookup: quadratic.
    job = models.ForeignKey(
        CatalogImport, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=300)
    line = models.PositiveIntegerField()
    # The product's columns on its first row, so that a later row that disagrees is refused.
    digest = models.CharField(max_length=32, blank=True)
    # A product this file creates (its options are the union of its rows').
    created = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "key"], name="import_key_job_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} (line {self.line})"
