"""The `seed_catalog` demo data command."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.postgres.search import SearchQuery
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Min, Sum

from apps.catalog.choices import StockReason
from apps.catalog.models import Category, Product, ProductImage, StockMovement, Variant
from apps.catalog.tasks import make_image_renditions
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def shared_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One media folder per module: the seed reuses the placeholder pool it drew before,
    # so only the first test pays for drawing and encoding it.
    return tmp_path_factory.mktemp("seed-media")


@pytest.fixture(autouse=True)
def media_root(settings, shared_media: Path) -> Path:
    settings.MEDIA_ROOT = shared_media
    return shared_media


def seed(**options: object) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_catalog", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def catalog_digest() -> str:
    products = Product.objects.select_related("category").prefetch_related("variants", "images")
    rows = [
        [
            p.title,
            p.slug,
            p.brand,
            p.description,
            p.category.slug,
            str(p.price),
            p.is_active,
            p.is_featured,
            p.option_names,
            [
                [v.sku, v.options, str(v.price), str(v.compare_at_price), v.stock, v.is_active]
                for v in p.variants.all()
            ],
            [[i.image.name, i.alt_text, i.position, i.renditions] for i in p.images.all()],
        ]
        for p in products.order_by("slug")
    ]
    tree = list(Category.objects.order_by("path").values_list("path", "slug", "name"))
    return hashlib.sha256(json.dumps([rows, tree], sort_keys=True).encode()).hexdigest()


def wipe_catalog() -> None:
    StockMovement.objects.all().delete()
    Product.objects.all().delete()
    Category.objects.all().delete()


def test_same_count_and_seed_give_the_same_catalog() -> None:
    seed(products=30, seed=5)
    first = catalog_digest()

    wipe_catalog()
    seed(products=30, seed=5, batch_size=7)  # batching must not change what is drawn
    assert Product.objects.count() == 30
    assert catalog_digest() == first

    wipe_catalog()
    seed(products=30, seed=6)
    assert catalog_digest() != first


def test_category_tree_is_three_levels_deep() -> None:
    seed(products=30)

    roots = Category.objects.filter(depth=1)
    assert roots.count() == 6
    for root in roots:
        children = Category.objects.get_children(root)
        assert children.count() == 4
        for child in children:
            assert Category.objects.get_children(child).count() == 3
    assert Category.objects.filter(depth__gt=3).count() == 0
    assert set(Product.objects.values_list("category__depth", flat=True)) == {3}


def test_every_product_has_variants_and_an_image_with_renditions() -> None:
    seed(products=60)

    for product in Product.objects.prefetch_related("variants", "images"):
        variants = product.variants.all()
        assert 1 <= len(variants) <= 4
        for variant in variants:
            # A set: jsonb on PostgreSQL does not keep the keys in insertion order.
            assert set(variant.options) == set(product.option_names)
        images = product.images.all()
        assert len(images) >= 1
        for image in images:
            assert default_storage.exists(image.image.name)
            assert image.width > 0
            assert image.height > 0
            assert {"listing", "detail"} <= set(image.renditions)
            for entries in image.renditions.values():
                for entry in entries:
                    assert default_storage.exists(entry["webp"])
                    assert default_storage.exists(entry["jpeg"])
    # 60 products share a pool of pictures instead of owning one file each.
    assert ProductImage.objects.values("image").distinct().count() <= 60
    assert len(list(Path(default_storage.path("demo")).iterdir())) == 60


def test_product_price_is_the_lowest_active_variant_price() -> None:
    seed(products=200)

    lowest = dict(
        Variant.objects.filter(is_active=True)
        .values("product_id")
        .annotate(low=Min("price"))
        .values_list("product_id", "low")
    )
    prices = dict(Product.objects.values_list("id", "price"))
    assert prices == lowest
    # Some products have an inactive variant, so "active" is really being tested.
    assert Variant.objects.filter(is_active=False).exists()


def test_prices_stock_and_flags_look_like_a_real_shop() -> None:
    seed(products=200)

    variants = Variant.objects.all()
    assert all(v.price % 1 == Decimal("0.99") for v in variants)
    on_sale = [v for v in variants if v.compare_at_price is not None]
    assert on_sale
    assert all(v.compare_at_price > v.price for v in on_sale)
    assert variants.filter(stock=0).exists()
    assert variants.filter(stock__gte=1, stock__lte=5).exists()
    assert Product.objects.filter(is_featured=True).exists()
    assert Product.objects.values("brand").distinct().count() > 20
    assert len(set(Product.objects.values_list("slug", flat=True))) == 200


def test_stock_is_recorded_as_import_movements() -> None:
    seed(products=50)

    totals = dict(
        StockMovement.objects.values("variant_id")
        .annotate(total=Sum("delta"))
        .values_list("variant_id", "total")
    )
    for variant in Variant.objects.all():
        assert totals.get(variant.pk, 0) == variant.stock
    assert set(StockMovement.objects.values_list("reason", flat=True)) == {StockReason.IMPORT}


def test_if_empty_leaves_a_non_empty_catalog_alone() -> None:
    existing = ProductFactory()

    out, _ = seed(products=10, if_empty=True)

    assert list(Product.objects.all()) == [existing]
    assert Category.objects.count() == 1
    assert "already has products" in out


def test_refuses_to_add_to_a_non_empty_catalog_without_if_empty() -> None:
    ProductFactory()

    with pytest.raises(CommandError, match="already has products"):
        seed(products=10)
    assert Product.objects.count() == 1


def test_progress_goes_to_stderr_and_the_summary_to_stdout() -> None:
    out, err = seed(products=30, batch_size=10)

    assert "30/30 (100%)" in err
    assert "Seeded 30 products" in out


def test_rerendering_a_seeded_image_keeps_the_shared_pool_files() -> None:
    seed(products=40)
    image = ProductImage.objects.order_by("id").first()
    assert image is not None
    pool_files = [e[f] for es in image.renditions.values() for e in es for f in ("webp", "jpeg")]
    sharing = ProductImage.objects.filter(image=image.image.name).exclude(pk=image.pk)

    make_image_renditions.delay(image.pk)

    image.refresh_from_db()
    own = [e["webp"] for es in image.renditions.values() for e in es]
    assert all(name.startswith(f"renditions/{image.pk}/") for name in own)
    assert all(default_storage.exists(name) for name in pool_files)
    assert all(
        default_storage.exists(e["jpeg"])
        for other in sharing
        for es in other.renditions.values()
        for e in es
    )


@pytest.mark.postgres
def test_seeded_products_are_full_text_searchable() -> None:
    seed(products=40)

    assert not Product.objects.filter(search_vector__isnull=True).exists()
    product = Product.objects.order_by("id").first()
    assert product is not None
    title_word = max(product.title.split(), key=len)
    brand_word = max(product.brand.split(), key=len)
    for word in (title_word, brand_word):
        found = Product.objects.filter(search_vector=SearchQuery(word, config="english"))
        assert product in found
        assert found.count() < Product.objects.count()
