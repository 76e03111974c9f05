"""The catalog import's services: round trip with the export, the dry run, matching by SKU,
stock movements, category paths, options, and the refresh of cache and facets at the end."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.catalog.choices import StockReason
from apps.catalog.imports.categories import category_path_names
from apps.catalog.imports.reading import IMPORT_COLUMNS
from apps.catalog.models import (
    CatalogImport,
    CatalogImportKey,
    Category,
    CategoryFacet,
    Product,
    StockMovement,
    Variant,
)
from apps.core.cache import CATALOG_NAMESPACE, namespace_version
from tests.catalog.import_support import checked, csv_bytes, imported, row
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def _export(client) -> bytes:
    response = client.get(reverse("admin:catalog_product_export"))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _catalog() -> list[tuple[object, ...]]:
    return list(
        Variant.objects.order_by("sku").values_list(
            "sku",
            "product__slug",
            "product__title",
            "product__category_id",
            "product__is_active",
            "options",
            "price",
            "compare_at_price",
            "stock",
            "is_active",
        )
    )


def test_the_import_reads_the_columns_the_export_writes():
    from apps.catalog.admin.export import EXPORT_HEADER

    assert list(IMPORT_COLUMNS) == EXPORT_HEADER


def test_an_exported_catalog_imports_back_unchanged(staff_client, staff):
    kitchen = CategoryFactory(name="Kitchen")
    knives = Category.objects.add_child(kitchen, {"name": "Knives", "slug": "knives"})
    knife = ProductFactory(title="=Chef knife", slug="chef-knife", category=knives)
    VariantFactory(product=knife, sku="K-20", options={"Size": "20 cm"}, stock=4)
    VariantFactory(
        product=knife,
        sku="-K-24",
        options={"Size": "24 cm"},
        price=Decimal("59.90"),
        compare_at_price=Decimal("70.00"),
        is_active=False,
    )
    ProductFactory(title="Board", slug="board", category=kitchen, is_active=False)
    before = _catalog()

    exported = _export(staff_client)
    assert "Kitchen > Knives" in exported.decode()
    job = imported(exported, actor=staff)

    assert job.status == CatalogImport.Status.DONE
    assert (job.rows, job.unchanged, job.created, job.changed, job.refused) == (3, 3, 0, 0, 0)
    assert _catalog() == before
    assert Product.objects.get(slug="chef-knife").title == "=Chef knife"
    assert StockMovement.objects.count() == 0
    # An edited export changes what was edited, and only that.
    edited = exported.replace(b"59.90", b"54.90")
    job = imported(edited, actor=staff)
    assert (job.changed, job.unchanged) == (1, 2)
    assert Variant.objects.get(sku="-K-24").price == Decimal("54.90")


def test_the_dry_run_writes_nothing_and_reports_what_it_would_do():
    VariantFactory(sku="OLD-1", product__slug="old", price=Decimal("5.00"), options={"Size": "M"})
    content = csv_bytes(
        [
            row("NEW-1"),
            row("NEW-2", options="Size: 24 cm"),
            row("OLD-1", slug="old", title="Old", price="6.00", options="Size: M"),
            row("BAD-1", price="cheap"),
        ]
    )
    before = (_catalog(), Category.objects.count(), StockMovement.objects.count())

    job = checked(content)

    assert job.status == CatalogImport.Status.CHECKED
    assert (job.rows, job.created, job.changed, job.refused) == (4, 2, 1, 1)
    assert (job.products_created, job.categories_created, job.movements) == (1, 3, 3)
    assert job.refusals == [[5, "BAD-1", "price “cheap” is not a price like 12.50"]]
    assert (_catalog(), Category.objects.count(), StockMovement.objects.count()) == before
    assert not CatalogImportKey.objects.exists()


def test_the_same_file_twice_creates_nothing_the_second_time(staff):
    content = csv_bytes(
        [row("K-20"), row("K-24", options="Size: 24 cm"), row("", slug="x", title="X")]
    )
    first = imported(content, actor=staff)
    assert (first.created, first.products_created) == (3, 2)
    catalog, movements = _catalog(), StockMovement.objects.count()

    second = imported(content, actor=staff)

    assert (second.created, second.changed, second.unchanged, second.movements) == (0, 0, 3, 0)
    assert (second.products_created, second.categories_created) == (0, 0)
    assert _catalog() == catalog
    assert StockMovement.objects.count() == movements
    assert Product.objects.count() == 2
    assert Category.objects.count() == 3


def test_stock_changes_become_movements_of_the_import(staff):
    variant = VariantFactory(
        sku="K-20", product__slug="chef-knife", stock=10, options={"Size": "20 cm"}
    )
    content = csv_bytes([row("K-20", stock="7"), row("K-30", options="Size: 30 cm", stock="3")])

    job = imported(content, actor=staff)

    variant.refresh_from_db()
    assert variant.stock == 7
    moves = {m.variant.sku: m for m in StockMovement.objects.select_related("variant")}
    assert (moves["K-20"].delta, moves["K-20"].stock_after) == (-3, 7)
    assert (moves["K-30"].delta, moves["K-30"].stock_after) == (3, 3)
    assert {m.reason for m in moves.values()} == {StockReason.IMPORT}
    assert {m.actor for m in moves.values()} == {staff}
    assert moves["K-20"].note == f"Import #{job.pk} (catalog.csv) line 2"
    assert job.movements == 2


def test_an_empty_stock_cell_keeps_the_stock_and_a_sale_before_the_import_is_counted():
    variant = VariantFactory(
        sku="K-20", product__slug="chef-knife", stock=10, options={"Size": "20 cm"}
    )
    content = csv_bytes([row("K-20", stock="", price="1.00")])
    job = checked(content)
    Variant.objects.filter(pk=variant.pk).update(stock=8)  # sold meanwhile

    from apps.catalog.imports.services import catalog_import_run, catalog_import_start

    assert catalog_import_start(job=job)
    catalog_import_run(job_id=job.pk)

    variant.refresh_from_db()
    assert (variant.stock, variant.price) == (8, Decimal("1.00"))
    assert not StockMovement.objects.exists()


def test_categories_are_found_or_created_by_path():
    home = CategoryFactory(name="Home", slug="home")
    kitchen = Category.objects.add_child(home, {"name": "Kitchen", "slug": "kitchen"})
    content = csv_bytes(
        [
            row("A-1", slug="a", category="home > KITCHEN"),
            row("B-1", slug="b", category="Home > Kitchen > Knives"),
            row("C-1", slug="c", category="Garden > Tools"),
            row("D-1", slug="d", category="Kitchen"),  # an old export: the name alone
        ]
    )

    job = imported(content)

    assert job.categories_created == 3
    paths = category_path_names()
    by_slug = dict(Product.objects.values_list("slug", "category_id"))
    assert by_slug["a"] == kitchen.pk == by_slug["d"]
    assert paths[by_slug["b"]] == "Home > Kitchen > Knives"
    assert paths[by_slug["c"]] == "Garden > Tools"
    assert Category.objects.filter(slug="kitchen-2").exists() is False


def test_a_new_product_takes_the_options_of_all_its_rows_and_the_lowest_price():
    content = csv_bytes(
        [
            row("T-1", slug="tee", options="Size: M", price="20.00"),
            row("T-2", slug="tee", options="Size: L; Colour: Red", price="18.00"),
            row("T-3", slug="tee", options="Size: S", price="15.00", variant_active="no"),
        ]
    )

    imported(content)

    tee = Product.objects.get(slug="tee")
    assert tee.option_names == ["Size", "Colour"]
    assert tee.price == Decimal("18.00")
    assert Variant.objects.get(sku="T-2").options == {"Size": "L", "Colour": "Red"}


def test_a_product_and_its_variants_change_by_the_file():
    shirt = ProductFactory(slug="shirt", title="Shirt", option_names=["Size"])
    VariantFactory(product=shirt, sku="S-M", options={"Size": "M"}, price=Decimal("10.00"))
    content = csv_bytes(
        [
            row(
                "S-M",
                slug="shirt",
                title="Linen shirt",
                category="Clothes",
                options="Size: M",
                price="12.00",
                compare="15.00",
                product_active="no",
            )
        ]
    )

    job = imported(content)

    shirt.refresh_from_db()
    assert job.changed == 1
    assert (shirt.title, shirt.is_active, shirt.price) == ("Linen shirt", False, Decimal("12.00"))
    assert shirt.category.name == "Clothes"
    assert Variant.objects.get(sku="S-M").compare_at_price == Decimal("15.00")


def test_the_catalog_version_and_facets_refresh_once_at_the_end(
    django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    # Rows spread over several chunks still make one refresh: the callbacks are counted.
    from apps.catalog.imports import engine

    content = csv_bytes(
        [row(f"K-{n}", slug=f"knife-{n}", options=f"Size: {n} cm") for n in range(30)]
    )
    job = checked(content)
    before = namespace_version(CATALOG_NAMESPACE)
    engine_chunk = engine.CHUNK_ROWS
    engine.CHUNK_ROWS = 7
    try:
        from apps.catalog.imports.services import catalog_import_run, catalog_import_start

        catalog_import_start(job=job)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            catalog_import_run(job_id=job.pk)
    finally:
        engine.CHUNK_ROWS = engine_chunk

    assert len(callbacks) == 2  # one facet refresh (which bumps too), one version bump
    assert namespace_version(CATALOG_NAMESPACE) > before
    knives = Category.objects.get(name="Knives")
    assert CategoryFacet.objects.get(category=knives, name="", value="").products == 30
    assert CategoryFacet.objects.filter(category=knives, name="Size").count() == 30


def test_the_refused_rows_file_holds_the_rows_with_line_and_reason_and_imports_back():
    content = csv_bytes([row("OK-1"), row("BAD-1", stock="-2", slug="bad", title="=cmd")])
    job = checked(content)

    with job.refused_file.open("rb") as handle:
        rows = list(csv.reader(io.StringIO(handle.read().decode())))
    assert rows[0] == [*IMPORT_COLUMNS, "line", "reason"]
    assert rows[1][0] == "'=cmd"  # made inert for spreadsheets, as the export does
    assert rows[1][-2:] == ["3", "stock -2 is negative (it is the count on hand, 0 or more)"]

    rows[1][IMPORT_COLUMNS.index("stock")] = "2"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    again = imported(out.getvalue().encode())
    assert (again.created, again.refused) == (1, 0)
    assert Product.objects.get(slug="bad").title == "=cmd"


def test_a_file_that_changes_nothing_leaves_the_cache_alone(django_capture_on_commit_callbacks):
    from apps.catalog.imports.services import catalog_import_run, catalog_import_start

    imported(csv_bytes([row("K-1")]))
    job = checked(csv_bytes([row("K-1")]))
    catalog_import_start(job=job)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        done = catalog_import_run(job_id=job.pk)
    assert done is not None
    assert done.unchanged == 1
    assert callbacks == []
