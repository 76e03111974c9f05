"""An import's rows planned and, unless it is a check, written: a chunk of rows at a time.

A check and an import run the same code; a check writes nothing to the catalog. Per chunk
of CHUNK_ROWS rows: the variants (by SKU) and products (by slug) it names are read in two
queries, each row is compared with them and refused, left alone, or turned into a create
or a change, and the writes go out as bulk statements. What must be remembered from one
chunk to the next (the SKUs and products already met, for repeats) is kept in the
database (CatalogImportKey), not in memory, so memory does not grow with the file.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import IO

from django.db.models import DecimalField, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone
from django.utils.text import slugify

from apps.accounts.models import User
from apps.catalog.choices import StockReason
from apps.catalog.imports.categories import CategoryPaths
from apps.catalog.imports.reading import ImportRow, import_rows
from apps.catalog.models import CatalogImport, CatalogImportKey, Product, StockMovement, Variant
from apps.core.csv_export import csv_cell

# 1,000 rows: a few hundred kilobytes of objects, and a dozen statements per chunk.
CHUNK_ROWS = 1000
PREVIEW_REFUSALS = 50
_PRODUCT_DEFER = ("description", "search_vector", "seo_title", "seo_description")


@dataclass
class ImportReport:
    """What a file's rows did (an import) or would do (a check)."""

    rows: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    refused: int = 0
    products_created: int = 0
    categories_created: int = 0
    movements: int = 0
    refusals: list[list[object]] = field(default_factory=list)
    category_ids: set[int] = field(default_factory=set)


@dataclass
class _Chunk:
    """The writes one chunk makes."""

    new_products: dict[str, Product] = field(default_factory=dict)
    changed_products: dict[int, Product] = field(default_factory=dict)
    new_variants: list[tuple[Variant, ImportRow]] = field(default_factory=list)
    changed_variants: dict[int, Variant] = field(default_factory=dict)
    stock: dict[int, tuple[int, ImportRow]] = field(default_factory=dict)
    keys: dict[str, CatalogImportKey] = field(default_factory=dict)


def _digest(row: ImportRow) -> str:
    """The product's own columns on a row: its rows must agree on them."""
    text = "\x1f".join([row.title, " > ".join(row.category).casefold(), str(row.product_active)])
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class CatalogImporter:
    """Runs one file's rows through the checks and, if `write`, into the catalog."""

    def __init__(
        self,
        *,
        job: CatalogImport,
        write: bool,
        refused_out: IO[str],
        actor: User | None = None,
    ) -> None:
        self.job, self.write, self.actor = job, write, actor
        self.report = ImportReport()
        self.categories = CategoryPaths()
        self._refused = csv.writer(refused_out)
        self._width = 0
        self._note = f"Import #{job.pk} ({job.file_name[:180]})"

    def run(self, stream: IO[bytes], on_progress: Callable[[int], None]) -> ImportReport:
        """Every row of `stream`; `on_progress` hears the bytes read after each chunk."""
        rows = import_rows(stream, on_header=self._header)
        while chunk := list(islice(rows, CHUNK_ROWS)):
            self._chunk(chunk)
            on_progress(stream.tell())
        if self.write:
            _prices_refresh(self.job)
        self.report.categories_created = self.categories.created
        return self.report

    def _header(self, header: list[str]) -> None:
        self._width = len(header)
        self._refused.writerow([*map(csv_cell, header), "line", "reason"])

    def _refuse(self, row: ImportRow, reason: str) -> None:
        report = self.report
        report.refused += 1
        if len(report.refusals) < PREVIEW_REFUSALS:
            report.refusals.append([row.line, row.sku or row.slug, reason])
        cells = (row.cells + [""] * self._width)[: max(self._width, len(row.cells))]
        self._refused.writerow([*map(csv_cell, cells), str(row.line), reason])

    def _chunk(self, rows: list[ImportRow]) -> None:
        self.report.rows += len(rows)
        valid = []
        for row in rows:
            if row.errors:
                self._refuse(row, "; ".join(row.errors))
            else:
                valid.append(row)
        variants = {
            variant.sku: variant
            for variant in Variant.objects.filter(sku__in={row.sku for row in valid if row.sku})
            .select_related("product")
            .defer(*(f"product__{name}" for name in _PRODUCT_DEFER))
        }
        slugs = {
            row.line: variants[row.sku].product.slug if row.sku in variants else self._slug(row)
            for row in valid
        }
        products = {
            product.slug: product
            for product in Product.objects.filter(slug__in=set(slugs.values()) - {""}).defer(
                *_PRODUCT_DEFER
            )
        }
        keys = {f"sku:{row.sku}" for row in valid if row.sku} | {
            f"product:{s}" for s in slugs.values()
        }
        earlier = {
            key.key: key for key in CatalogImportKey.objects.filter(job=self.job, key__in=keys)
        }
        chunk = _Chunk()
        for row in valid:
            reason = self._plan(row, slugs[row.line], variants, products, earlier, chunk)
            if reason:
                self._refuse(row, reason)
        CatalogImportKey.objects.bulk_create(chunk.keys.values())
        if self.write:
            self._write(chunk)

    def _slug(self, row: ImportRow) -> str:
        return row.slug or slugify(row.title)[:220]

    def _plan(
        self,
        row: ImportRow,
        slug: str,
        variants: dict[str, Variant],
        products: dict[str, Product],
        earlier: dict[str, CatalogImportKey],
        chunk: _Chunk,
    ) -> str:
        """Plans one row into `chunk`; the reason it is refused, or ""."""
        variant = variants.get(row.sku) if row.sku else None
        if variant is not None and row.slug and row.slug != variant.product.slug:
            return (
                f"SKU {row.sku} belongs to the product “{variant.product.slug}”, not "
                f"“{row.slug}” (a variant cannot move to another product here)"
            )
        if not slug:
            return "a new product needs a title or a slug"
        sku_key, product_key = f"sku:{row.sku}", f"product:{slug}"
        if row.sku and (seen := earlier.get(sku_key) or chunk.keys.get(sku_key)):
            return f"SKU {row.sku} is already on line {seen.line} of the file"
        digest = _digest(row)
        first = earlier.get(product_key) or chunk.keys.get(product_key)
        if first is not None and first.digest != digest:
            return (
                f"its title, category or product_active differ from line {first.line}, "
                "the first row of the same product"
            )
        product = chunk.new_products.get(slug) or products.get(slug)
        created_here = product is not None and product._state.adding
        by_file = created_here or (first is not None and first.created)
        if product is None and not by_file:
            reason = self._missing_product(row)
            if reason:
                return reason
        options = product.option_names if product is not None else []
        if not by_file and isinstance(options, list) and options:
            unknown = [name for name in row.options if name not in options]
            if unknown:
                return (
                    f"unknown option “{unknown[0]}” (this product's options: "
                    f"{', '.join(map(str, options))})"
                )
        category_id = self._category(row)
        outcome = "unchanged"
        if product is None and not by_file:
            # A check has no id for a category it would create: the product stays unsaved.
            product = Product(
                title=row.title,
                slug=slug,
                is_active=row.product_active is not False,
                option_names=list(row.options),
            )
            product.category_id = category_id  # type: ignore[assignment]
            chunk.new_products[slug] = product
            self.report.products_created += 1
            outcome = "created"
        elif first is None and product is not None and not created_here:
            outcome = self._product_change(row, product, category_id, chunk)
        if product is not None and by_file and isinstance(product.option_names, list):
            added = [name for name in row.options if name not in product.option_names]
            if added:
                product.option_names = [*product.option_names, *added]
                if product.pk is not None:
                    chunk.changed_products[product.pk] = product
        if first is None:
            chunk.keys[product_key] = CatalogImportKey(
                job=self.job,
                key=product_key,
                line=row.line,
                digest=digest,
                created=product is not None and product._state.adding,
            )
        if row.sku:
            chunk.keys[sku_key] = CatalogImportKey(job=self.job, key=sku_key, line=row.line)
            if variant is None:
                self._variant_new(row, product, chunk)
                outcome = "created"
            elif self._variant_change(row, variant, chunk) and outcome == "unchanged":
                outcome = "changed"
        self._count(outcome)
        return ""

    def _category(self, row: ImportRow) -> int | None:
        """The row's category; created by an import, noted by a check (which has no id)."""
        if not row.category:
            return None
        found = self.categories.find(row.category)
        if found is None and self.write:
            return self.categories.ensure(row.category)
        if found is None:
            self.categories.plan(row.category)
        return found

    def _missing_product(self, row: ImportRow) -> str:
        if not row.title:
            return "a new product needs a title"
        if not row.category:
            return "a new product needs a category"
        return ""

    def _count(self, outcome: str) -> None:
        setattr(self.report, outcome, getattr(self.report, outcome) + 1)

    def _product_change(
        self, row: ImportRow, product: Product, category_id: int | None, chunk: _Chunk
    ) -> str:
        """Applies the row's product columns to an existing product; "changed" or not."""
        changed = False
        if row.title and row.title != product.title:
            product.title, changed = row.title, True
        if row.category and category_id != product.category_id:
            self.report.category_ids.add(product.category_id)
            # A category the check would create has no id yet: still a change.
            if category_id is not None:
                product.category_id = category_id
            changed = True
        if row.product_active is not None and row.product_active != product.is_active:
            product.is_active, changed = row.product_active, True
        if changed:
            chunk.changed_products[product.pk] = product
            self.report.category_ids.add(product.category_id)
        return "changed" if changed else "unchanged"

    def _variant_new(self, row: ImportRow, product: Product | None, chunk: _Chunk) -> None:
        stock = row.stock or 0
        variant = Variant(
            sku=row.sku,
            options=row.options,
            price=row.price or Decimal("0.00"),
            compare_at_price=row.compare_at_price,
            stock=stock,
            is_active=row.variant_active is not False,
        )
        if product is not None:
            variant.product = product
            if product.category_id is not None:
                self.report.category_ids.add(product.category_id)
        chunk.new_variants.append((variant, row))
        if stock:
            self.report.movements += 1

    def _variant_change(self, row: ImportRow, variant: Variant, chunk: _Chunk) -> bool:
        """Applies the row to an existing variant; whether anything changes."""
        fields = False
        if row.price is not None and row.price != variant.price:
            variant.price, fields = row.price, True
        if row.compare_given and row.compare_at_price != variant.compare_at_price:
            variant.compare_at_price, fields = row.compare_at_price, True
        current = variant.options if isinstance(variant.options, dict) else {}
        if {str(k): str(v) for k, v in current.items()} != row.options:
            variant.options, fields = row.options, True
        if row.variant_active is not None and row.variant_active != variant.is_active:
            variant.is_active, fields = row.variant_active, True
        if fields:
            chunk.changed_variants[variant.pk] = variant
            self.report.category_ids.add(variant.product.category_id)
        if row.stock is None or row.stock == variant.stock:
            return fields
        chunk.stock[variant.pk] = (row.stock, row)
        self.report.movements += 1
        return True

    def _write(self, chunk: _Chunk) -> None:
        """The chunk's writes: a bulk statement per kind, stock changes as movements."""
        now = timezone.now()
        Product.objects.bulk_create(chunk.new_products.values())
        if chunk.changed_products:
            for product in chunk.changed_products.values():
                product.updated_at = now
            Product.objects.bulk_update(
                chunk.changed_products.values(),
                ["title", "category", "is_active", "option_names", "updated_at"],
            )
        new = [variant for variant, _ in chunk.new_variants]
        # bulk_create takes each variant's product_id from its product, saved just above.
        Variant.objects.bulk_create(new)
        movements = [
            StockMovement(
                variant=variant,
                delta=variant.stock,
                stock_after=variant.stock,
                reason=StockReason.IMPORT,
                note=f"{self._note} line {row.line}",
                actor=self.actor,
            )
            for variant, row in chunk.new_variants
            if variant.stock
        ]
        if chunk.changed_variants:
            Variant.objects.bulk_update(
                chunk.changed_variants.values(),
                ["price", "compare_at_price", "options", "is_active"],
            )
        movements += self._stock_write(chunk)
        StockMovement.objects.bulk_create(movements)
        self.report.category_ids |= {p.category_id for p in chunk.new_products.values()}

    def _stock_write(self, chunk: _Chunk) -> list[StockMovement]:
        """The file's stock numbers are counts: each variant's row is locked (id order),
        its stock read again under the lock and set, the difference recorded, as
        `stock_set` does one at a time. A sale committed before the lock is counted in
        the difference; one after it waits for the import to commit."""
        if not chunk.stock:
            return []
        locked = dict(
            Variant.objects.select_for_update()
            .filter(pk__in=chunk.stock)
            .order_by("pk")
            .values_list("pk", "stock")
        )
        changed, movements = [], []
        for pk, current in locked.items():
            stock, row = chunk.stock[pk]
            if stock == current:
                self.report.movements -= 1
                continue
            changed.append(Variant(pk=pk, stock=stock))
            movements.append(
                StockMovement(
                    variant_id=pk,
                    delta=stock - current,
                    stock_after=stock,
                    reason=StockReason.IMPORT,
                    note=f"{self._note} line {row.line}",
                    actor=self.actor,
                )
            )
        Variant.objects.bulk_update(changed, ["stock"])
        return movements


def _prices_refresh(job: CatalogImport) -> None:
    """The listing price (lowest active variant price) of every product the file names,
    in one UPDATE at the end rather than one per chunk: a product's rows may span chunks,
    and one statement over the job's product keys is a tenth of the time of a hundred."""
    slugs = (
        CatalogImportKey.objects.filter(job=job, key__startswith="product:")
        .annotate(slug=Substr("key", len("product:") + 1))
        .values("slug")
    )
    lowest = (
        Variant.objects.filter(product=OuterRef("pk"), is_active=True)
        .order_by()
        .values("product")
        .annotate(low=Min("price"))
        .values("low")
    )
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=10, decimal_places=2))
    Product.objects.filter(slug__in=Subquery(slugs)).update(price=Coalesce(Subquery(lowest), zero))
