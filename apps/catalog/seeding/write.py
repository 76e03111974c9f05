"""Writing the demo catalog: the placeholder picture pool, the category tree, batched INSERTs.

The search vector is left to the database trigger, and the cached catalog pages are
invalidated once everything is in.
"""

from __future__ import annotations

import os
import zlib
from concurrent.futures import ThreadPoolExecutor

from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.text import slugify

from apps.catalog.cache import NAMESPACE
from apps.catalog.choices import StockReason
from apps.catalog.images import encode_jpeg, placeholder_image
from apps.catalog.models import Category, Product, ProductImage, StockMovement, Variant
from apps.catalog.renditions import (
    RENDITIONS_DIR,
    StoredRenditions,
    file_overwrite,
    renditions_store,
)
from apps.catalog.seeding.departments import DEPARTMENTS
from apps.catalog.seeding.generate import Batch, pool_key
from apps.catalog.seeding.options import COLOURS, Department, Leaf
from apps.core.cache import namespace_bump

POOL_DIR = "demo"
# Wide enough for every listing rendition and a sharp detail view; a 1200px source would
# double the time `make run` spends drawing pictures for no visible gain on a placeholder.
PLACEHOLDER_SIZE = 800


def pool_make() -> dict[str, tuple[str, StoredRenditions]]:
    """Draws and renders one picture per department and colour, in parallel."""
    keys = [(department, colour) for department in DEPARTMENTS for colour in COLOURS]
    # Pillow releases the GIL while it resizes and encodes, so threads do overlap.
    workers = min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as executor:
        made = executor.map(lambda key: _pool_image(*key), keys)
        return dict(zip((pool_key(d.code, c) for d, c in keys), made, strict=True))


def _pool_image(department: Department, colour: str) -> tuple[str, StoredRenditions]:
    key = pool_key(department.code, colour)
    picture = placeholder_image(
        label=department.name,
        colour=COLOURS[colour],
        shape=department.shape,
        seed=zlib.crc32(key.encode()),
        size=PLACEHOLDER_SIZE,
    )
    data = encode_jpeg(picture)
    name = file_overwrite(default_storage, f"{POOL_DIR}/{key}.jpg", data)
    # The pictures never change, so a reseed (after a database reset) reuses the renditions.
    prefix = f"{RENDITIONS_DIR}/{POOL_DIR}/{key}"
    return name, renditions_store(data=data, prefix=prefix, reuse=True)


def category_tree() -> list[tuple[Department, Leaf, Category]]:
    """Creates the three-level tree (reusing nodes whose slug exists); returns the leaves."""
    existing = {category.slug: category for category in Category.objects.all()}
    planned: set[str] = set()

    def node(name: str, description: str, position: int, parent: Category | None) -> Category:
        slug = slugify(name)
        if slug in planned and parent is not None:
            slug = f"{parent.slug}-{slug}"
        planned.add(slug)
        if slug in existing:
            return existing[slug]
        fields = {"name": name, "slug": slug, "description": description, "position": position}
        if parent is None:
            return Category.objects.add_root(fields)
        return Category.objects.add_child(parent, fields)

    leaves = []
    for d_position, department in enumerate(DEPARTMENTS):
        root = node(department.name, department.description, d_position, None)
        for g_position, (group, group_leaves) in enumerate(department.groups.items()):
            about = f"{group} from our {department.name.lower()} range."
            middle = node(group, about, g_position, root)
            for l_position, leaf in enumerate(group_leaves):
                about = f"{leaf.name}: {', '.join(leaf.nouns).lower()}."
                leaves.append((department, leaf, node(leaf.name, about, l_position, middle)))
    return leaves


def batch_insert(batch: Batch, pool: dict[str, tuple[str, StoredRenditions]]) -> int:
    """Inserts one planned batch; returns how many images it added."""
    products = batch.products
    _products_insert(products)
    variants: list[Variant] = []
    images: list[ProductImage] = []
    for product, product_variants, product_images in zip(
        products, batch.variants, batch.images, strict=True
    ):
        for variant in product_variants:
            variant.product = product
            variants.append(variant)
        for position, (key, alt_text) in enumerate(product_images):
            name, stored = pool[key]
            images.append(
                ProductImage(
                    product=product,
                    image=name,
                    width=stored.width,
                    height=stored.height,
                    alt_text=alt_text,
                    position=position,
                    renditions=stored.renditions,
                )
            )
    Variant.objects.bulk_create(variants, batch_size=5000)
    ProductImage.objects.bulk_create(images, batch_size=5000)
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                variant=variant,
                delta=variant.stock,
                stock_after=variant.stock,
                reason=StockReason.IMPORT,
                note="Demo catalog",
            )
            for variant in variants
            if variant.stock
        ],
        batch_size=5000,
    )
    return len(images)


def _products_insert(products: list[Product]) -> None:
    """INSERTs products and sets their ids: bulk_create minus the search_vector column."""
    # bulk_create lists every column, and Django's fast PostgreSQL insert (one UNNEST array
    # per column) does not take a SearchVectorField, so it falls back to a VALUES list of
    # 14 placeholders a row: about 4x the client CPU, the largest single cost of a 100k
    # seed. The trigger fills the column anyway. QuerySet._insert is what Model.save() and
    # bulk_create themselves insert through.
    meta = Product._meta
    search_vector = meta.get_field("search_vector")
    fields = [f for f in meta.concrete_fields if not f.primary_key and f is not search_vector]
    connection = connections[DEFAULT_DB_ALIAS]
    step = connection.ops.bulk_batch_size(fields, products)
    for start in range(0, len(products), step):
        chunk = products[start : start + step]
        # PostgreSQL and SQLite 3.35+ return the new ids, which the child rows need.
        rows = Product.objects._insert(  # type: ignore[attr-defined]
            chunk, fields=fields, returning_fields=meta.db_returning_fields, using=connection.alias
        )
        for product, row in zip(chunk, rows, strict=True):
            product.pk = row[0]
            product._state.adding = False
            product._state.db = connection.alias


def catalog_cache_bump() -> None:
    """Invalidates the cached catalog pages: a shop seeded behind a warm cache shows the new one."""
    namespace_bump(NAMESPACE)
