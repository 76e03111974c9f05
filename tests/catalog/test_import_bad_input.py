"""Bad input to the catalog import: a clear reason for each, and never a half-imported file."""

from __future__ import annotations

import pytest

from apps.catalog.imports import engine
from apps.catalog.imports.services import (
    catalog_import_check,
    catalog_import_run,
    catalog_import_start,
)
from apps.catalog.models import CatalogImport, Category, Product, StockMovement, Variant
from apps.core.csv_export import csv_cell, csv_cell_unescape
from apps.core.errors import ApplicationError
from tests.catalog.import_support import checked, csv_bytes, imported, row, uploaded
from tests.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db

Status = CatalogImport.Status


def _nothing_written() -> bool:
    return not (Product.objects.exists() or Category.objects.exists() or Variant.objects.exists())


def test_a_file_not_in_utf8_is_refused_whole_with_its_line():
    content = csv_bytes([row("A-1")]) + "Couteau à pain,pain,Home,P-1,,9.00,,1,yes,yes\n".encode(
        "latin-1"
    )
    job = checked(content)
    assert job.status == Status.REFUSED
    assert job.error.startswith("Line 3 is not UTF-8 text")
    assert "CSV UTF-8" in job.error
    assert not catalog_import_start(job=job)
    assert _nothing_written()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"title,slug,category,sku,options,stock\n", "The file has no “price” column"),
        (b"name,code\n", "The file has no “title”, “slug”, “category”, “sku”, “options”"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xa0\xff\xfe", "Line 1 holds a NUL byte"),
        (b"\xff\xfetitle,slug\n", "Line 1 is not UTF-8 text"),
        (b"title,slug,category,sku,options,price,stock\nA,a,H,\x00,,1,1\n", "Line 2 holds a NUL"),
        (b'title,slug,category,sku,options,price,stock\nA,a,"H,S-1,,1,1\n', "Line 2 is not valid"),
    ],
)
def test_a_file_that_cannot_be_read_as_the_export_is_refused_whole(content, message):
    job = checked(content)
    assert job.status == Status.REFUSED
    assert message in job.error
    assert _nothing_written()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"price": "12,50"}, "price “12,50” is not a price like 12.50"),
        ({"price": "-1"}, "price -1 is negative"),
        ({"price": "1.005"}, "price 1.005 has more than two decimal places"),
        ({"price": ""}, "price is missing"),
        ({"compare": "abc"}, "compare-at price “abc” is not a price like 12.50"),
        ({"stock": "-3"}, "stock -3 is negative"),
        ({"stock": "2.5"}, "stock “2.5” is not a whole number"),
        ({"options": "Size M"}, "must look like “Size: M; Colour: Red”"),
        ({"options": "Size: M; Size: L"}, "option “Size” is given twice"),
        ({"variant_active": "maybe"}, "variant_active “maybe” must be yes or no"),
        ({"slug": "not a slug"}, "may hold only letters, digits"),
        ({"category": "Home >  > Knives"}, "is not a path like"),
        ({"title": "", "category": ""}, "a new product needs a title"),
        ({"category": ""}, "a new product needs a category"),
        ({"sku": "", "slug": ""}, "a row needs a SKU"),
    ],
)
def test_a_bad_row_is_refused_with_its_line_and_reason_and_the_rest_imports(changes, reason):
    content = csv_bytes([row("OK-1", slug="ok"), row(**{"sku": "BAD-1", "slug": "bad", **changes})])
    job = checked(content)
    assert (job.status, job.refused, job.importable) == (Status.CHECKED, 1, 1)
    line, _key, text = job.refusals[0]
    assert line == 3
    assert reason in text

    assert catalog_import_start(job=job)
    done = catalog_import_run(job_id=job.pk)
    assert done is not None
    assert done.status == Status.DONE
    assert list(Product.objects.values_list("slug", flat=True)) == ["ok"]


def test_an_option_the_product_does_not_have_is_refused():
    shirt = ProductFactory(slug="shirt", option_names=["Size"])
    VariantFactory(product=shirt, sku="S-M", options={"Size": "M"})
    content = csv_bytes([row("S-L", slug="shirt", options="Size: L; Fabric: Linen")])
    job = checked(content)
    assert job.refusals == [[2, "S-L", "unknown option “Fabric” (this product's options: Size)"]]


def test_a_sku_twice_in_the_file_and_rows_of_one_product_that_disagree_are_refused():
    content = csv_bytes(
        [
            row("K-1"),
            row("K-2", options="Size: 2"),
            row("K-1", options="Size: 3"),
            row("K-4", title="Other title", options="Size: 4"),
            row("S-1", slug="shirt", title="Shirt"),
        ]
    )
    job = checked(content)
    assert [refusal[:2] for refusal in job.refusals] == [[4, "K-1"], [5, "K-4"]]
    assert job.refusals[0][2] == "SKU K-1 is already on line 2 of the file"
    assert "differ from line 2, the first row of the same product" in job.refusals[1][2]


def test_a_sku_of_another_product_is_refused():
    VariantFactory(sku="K-1", product__slug="knife")
    job = checked(csv_bytes([row("K-1", slug="fork")]))
    assert "SKU K-1 belongs to the product “knife”, not “fork”" in job.refusals[0][2]


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.CATALOG_IMPORT_MAX_BYTES = 100
    with pytest.raises(ApplicationError, match="larger than the 0 MB"):
        uploaded(csv_bytes([row("A-1"), row("A-2"), row("A-3")]))
    assert not CatalogImport.objects.exists()


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_the_export_makes_formulas_inert_and_the_import_reads_them_back(start):
    value = f"{start}HYPERLINK(1)"
    assert csv_cell(value) == f"'{value}"
    assert csv_cell_unescape(csv_cell(value)) == value
    content = csv_bytes([row("A-1", title=csv_cell(value), options=csv_cell(f"{start}x: y"))])
    imported(content)
    variant = Variant.objects.select_related("product").get(sku="A-1")
    assert variant.product.title == value
    assert variant.options == {f"{start}x": "y"}


def test_an_import_that_meets_new_refusals_writes_nothing():
    content = csv_bytes([row("K-1", slug="knife"), row("K-2", slug="knife", options="Size: 2")])
    job = checked(content)
    assert job.refused == 0
    VariantFactory(sku="K-2", product__slug="someone-else")  # taken after the check
    catalog_import_start(job=job)

    done = catalog_import_run(job_id=job.pk)

    assert done is not None
    assert done.status == Status.FAILED
    assert "1 more rows were refused than when the file was checked" in done.error
    assert not Product.objects.filter(slug="knife").exists()
    assert not StockMovement.objects.exists()


def test_an_import_that_fails_half_way_writes_nothing(monkeypatch):
    content = csv_bytes([row(f"K-{n}", options=f"Size: {n}") for n in range(10)])
    job = checked(content)
    catalog_import_start(job=job)
    monkeypatch.setattr(engine, "CHUNK_ROWS", 4)
    write = engine.CatalogImporter._write
    calls: list[object] = []

    def fail_on_the_second_chunk(importer, chunk) -> None:
        calls.append(chunk)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        write(importer, chunk)

    monkeypatch.setattr(engine.CatalogImporter, "_write", fail_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        catalog_import_run(job_id=job.pk)

    job.refresh_from_db()
    assert len(calls) == 2
    assert job.status == Status.FAILED
    assert job.error == "The import stopped on an unexpected error; nothing was imported."
    assert _nothing_written()
    assert not StockMovement.objects.exists()


def test_a_job_is_checked_and_imported_once():
    content = csv_bytes([row("K-1")])
    job = uploaded(content)
    assert catalog_import_check(job_id=job.pk) is not None
    assert catalog_import_check(job_id=job.pk) is None
    assert catalog_import_start(job=job)
    assert not catalog_import_start(job=job)
    assert catalog_import_run(job_id=job.pk) is not None
    assert catalog_import_run(job_id=job.pk) is None
    assert Variant.objects.count() == 1
    assert StockMovement.objects.count() == 1
