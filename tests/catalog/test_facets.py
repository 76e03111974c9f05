"""The facet table after each kind of catalog write: services, admin pages, bulk actions,
the seeder and the rebuild command.

The factories write around the services, so each test builds its shop, rebuilds the table
once (`catalog_facets_rebuild`) and then writes the way staff and shoppers do, with the
on-commit callbacks run as a commit would run them.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.db import connection, transaction

from apps.catalog import services
from apps.catalog.facets import _PendingRefresh, facet_rows_recompute
from apps.catalog.models import Category, CategoryFacet, Product, Variant
from apps.catalog.services import catalog_facets_rebuild
from tests.catalog.support import _add_inline_form, _form_data, _url
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_media_in_tmp")]


def _rows(category: Category) -> dict[tuple[str, str], int]:
    return {
        (row.name, row.value): row.products
        for row in CategoryFacet.objects.filter(category=category)
    }


@pytest.fixture
def shop() -> dict[str, Any]:
    """Tables: an oak table in two sizes, a walnut one; a chair in oak; one elsewhere."""
    tables = CategoryFactory(name="Tables", slug="tables")
    chairs = CategoryFactory(name="Chairs", slug="chairs")
    oak = ProductFactory(category=tables, title="Oak table", option_names=["Wood", "Size"])
    VariantFactory(product=oak, sku="OAK-S", options={"Wood": "Oak", "Size": "S"})
    VariantFactory(product=oak, sku="OAK-L", options={"Wood": "Oak", "Size": "L"})
    walnut = ProductFactory(category=tables, title="Walnut table", option_names=["Wood"])
    VariantFactory(product=walnut, sku="WAL", options={"Wood": "Walnut"}, stock=3)
    chair = ProductFactory(category=chairs, title="Oak chair", option_names=["Wood"])
    VariantFactory(product=chair, sku="CHAIR", options={"Wood": "Oak"})
    catalog_facets_rebuild()
    return {"tables": tables, "chairs": chairs, "oak": oak, "walnut": walnut, "chair": chair}


TABLES = {
    ("", ""): 2,
    ("Wood", "Oak"): 1,
    ("Wood", "Walnut"): 1,
    ("Size", "S"): 1,
    ("Size", "L"): 1,
}


def test_rebuild_counts_each_product_once_per_value_and_the_category_total(shop):
    assert _rows(shop["tables"]) == TABLES
    assert _rows(shop["chairs"]) == {("", ""): 1, ("Wood", "Oak"): 1}


def test_rebuild_leaves_out_inactive_variants_and_products_and_odd_options(shop):
    tables = shop["tables"]
    VariantFactory(product=shop["walnut"], options={"Wood": "Ash"}, is_active=False)
    hidden = ProductFactory(category=tables, is_active=False)
    VariantFactory(product=hidden, options={"Wood": "Teak"})
    bare = ProductFactory(category=tables)  # no variants: listed, offers no value
    odd = ProductFactory(category=tables)
    VariantFactory(product=odd, options=["not", "an", "object"])
    VariantFactory(product=odd, options={"": "nameless", "Wood": "Oak"})
    catalog_facets_rebuild()
    assert Product.objects.filter(pk=bare.pk, variants=None).exists()
    assert _rows(tables) == {**TABLES, ("", ""): 4, ("Wood", "Oak"): 2}


def test_a_variant_added_on_the_product_page_adds_its_value(
    staff_client, shop, django_capture_on_commit_callbacks
):
    url = _url("product_change", shop["walnut"].pk)
    data = {**_form_data(staff_client.get(url)), "_save": "Save"}
    fields = {"sku": "WAL-ASH", "price": "90.00", "weight_grams": "0", "position": 1}
    fields["is_active"] = "on"
    _add_inline_form(data, "variants", {**fields, "option_wood": "Ash"})
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(url, data).status_code == 302
    assert Variant.objects.filter(sku="WAL-ASH").exists()
    assert _rows(shop["tables"]) == {**TABLES, ("Wood", "Ash"): 1}


def test_a_variant_deleted_in_the_admin_takes_its_value_away(
    staff_client, shop, django_capture_on_commit_callbacks
):
    variant = Variant.objects.get(sku="OAK-L")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_url("variant_delete", variant.pk), {"post": "yes"})
    assert response.status_code == 302
    expected = {key: n for key, n in TABLES.items() if key != ("Size", "L")}
    assert _rows(shop["tables"]) == expected


def test_a_variant_option_changed_in_the_admin_moves_the_count(
    staff_client, shop, django_capture_on_commit_callbacks
):
    variant = Variant.objects.get(sku="WAL")
    url = _url("variant_change", variant.pk)
    data = {**_form_data(staff_client.get(url)), "option_wood": "Cherry", "_save": "Save"}
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(url, data).status_code == 302
    assert Variant.objects.get(sku="WAL").options == {"Wood": "Cherry"}
    expected = {key: n for key, n in TABLES.items() if key != ("Wood", "Walnut")}
    assert _rows(shop["tables"]) == {**expected, ("Wood", "Cherry"): 1}


def test_a_variant_switched_off_in_the_admin_takes_its_value_away(
    staff_client, shop, django_capture_on_commit_callbacks
):
    variant = Variant.objects.get(sku="WAL")
    url = _url("variant_change", variant.pk)
    data = {**_form_data(staff_client.get(url)), "_save": "Save"}
    data.pop("is_active")
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(url, data).status_code == 302
    expected = {key: n for key, n in TABLES.items() if key != ("Wood", "Walnut")}
    assert _rows(shop["tables"]) == expected


def test_stock_to_zero_and_back_changes_no_facet_and_schedules_no_refresh(
    shop, django_capture_on_commit_callbacks
):
    walnut = Variant.objects.get(sku="WAL")
    for quantity in (0, 7):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.stock_set(variant_id=walnut.pk, quantity=quantity)
        assert not [c for c in callbacks if isinstance(c, _PendingRefresh)]
        assert _rows(shop["tables"]) == TABLES


def test_a_product_hidden_on_its_page_leaves_the_facets(
    staff_client, shop, django_capture_on_commit_callbacks
):
    url = _url("product_change", shop["walnut"].pk)
    data = {**_form_data(staff_client.get(url)), "_save": "Save"}
    data.pop("is_active")
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(url, data).status_code == 302
    expected = {key: n for key, n in TABLES.items() if key != ("Wood", "Walnut")}
    assert _rows(shop["tables"]) == {**expected, ("", ""): 1}


def test_a_product_moved_on_its_page_moves_its_counts(
    staff_client, shop, django_capture_on_commit_callbacks
):
    url = _url("product_change", shop["walnut"].pk)
    data = {**_form_data(staff_client.get(url)), "category": shop["chairs"].pk, "_save": "Save"}
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(url, data).status_code == 302
    expected = {key: n for key, n in TABLES.items() if key != ("Wood", "Walnut")}
    assert _rows(shop["tables"]) == {**expected, ("", ""): 1}
    assert _rows(shop["chairs"]) == {("", ""): 2, ("Wood", "Oak"): 1, ("Wood", "Walnut"): 1}


def test_a_product_deleted_in_the_admin_leaves_the_facets(
    staff_client, shop, django_capture_on_commit_callbacks
):
    chair = shop["chair"]
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_url("product_delete", chair.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Product.objects.filter(pk=chair.pk).exists()
    assert _rows(shop["chairs"]) == {}


@pytest.mark.parametrize(("action", "expected"), [("deactivate", {}), ("activate", TABLES)])
def test_bulk_hide_and_show_refresh_the_categories(
    staff_client, shop, django_capture_on_commit_callbacks, action, expected
):
    chosen = [shop["oak"].pk, shop["walnut"].pk]
    if action == "activate":
        Product.objects.filter(pk__in=chosen).update(is_active=False)
        catalog_facets_rebuild()
        assert _rows(shop["tables"]) == {}
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            _url("product_changelist"), {"action": action, ACTION_CHECKBOX_NAME: chosen}
        )
    assert response.status_code == 302
    assert _rows(shop["tables"]) == expected


def test_bulk_move_to_category_refreshes_both_categories(
    staff_client, shop, django_capture_on_commit_callbacks
):
    chosen = [shop["oak"].pk, shop["walnut"].pk]
    selection = {"action": "move_to_category", ACTION_CHECKBOX_NAME: chosen}
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            _url("product_changelist"),
            {**selection, "apply": "yes", "category": shop["chairs"].pk},
        )
    assert response.status_code == 302
    assert _rows(shop["tables"]) == {}
    assert _rows(shop["chairs"]) == {**TABLES, ("", ""): 3, ("Wood", "Oak"): 2}


def test_a_price_change_refreshes_no_facet(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.variant_set_price(variant=Variant.objects.get(sku="WAL"), price=Decimal("12.00"))
    assert not [c for c in callbacks if isinstance(c, _PendingRefresh)]


def test_writes_in_one_transaction_refresh_once_at_commit(shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        services.product_set_active(product_ids=[shop["walnut"].pk], active=False)
        services.product_move_to_category(product_ids=[shop["chair"].pk], category=shop["tables"])
        # Nothing is recomputed before the commit.
        assert _rows(shop["chairs"]) == {("", ""): 1, ("Wood", "Oak"): 1}
    pending = [c for c in callbacks if isinstance(c, _PendingRefresh)]
    assert len(pending) == 1
    assert pending[0].category_ids == {shop["tables"].pk, shop["chairs"].pk}
    assert _rows(shop["chairs"]) == {}
    expected = {key: n for key, n in TABLES.items() if key != ("Wood", "Walnut")}
    assert _rows(shop["tables"]) == {**expected, ("Wood", "Oak"): 2}


@transaction.atomic
def _hide_then_fail(product: Product) -> None:
    services.product_set_active(product_ids=[product.pk], active=False)
    raise RuntimeError("rolled back")


def test_a_rolled_back_write_schedules_nothing(shop, django_capture_on_commit_callbacks):
    benches = CategoryFactory(slug="benches")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            _hide_then_fail(shop["walnut"])
        services.product_move_to_category(product_ids=[shop["chair"].pk], category=benches)
    # The rolled-back refresh (of the tables) is gone, and not fed the move's categories.
    (pending,) = [c for c in callbacks if isinstance(c, _PendingRefresh)]
    assert pending.category_ids == {benches.pk, shop["chairs"].pk}
    assert _rows(shop["tables"]) == TABLES  # the walnut table is still shown
    assert _rows(benches) == {("", ""): 1, ("Wood", "Oak"): 1}


def test_seeding_fills_the_facets_as_a_rebuild_would(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_catalog", products=40, stdout=StringIO(), stderr=StringIO())
    seeded = sorted(CategoryFacet.objects.values_list("category_id", "name", "value", "products"))
    assert seeded
    total = sum(n for _, name, _, n in seeded if name == "")
    assert total == Product.objects.filter(is_active=True).count()
    out = StringIO()
    call_command("rebuild_facets", stdout=out)
    assert f"Rebuilt {len(seeded):,} facet rows" in out.getvalue()
    rebuilt = sorted(CategoryFacet.objects.values_list("category_id", "name", "value", "products"))
    assert rebuilt == seeded


def test_rebuild_repairs_rows_written_by_hand(shop):
    CategoryFacet.objects.filter(category=shop["tables"]).update(products=99)
    CategoryFacet.objects.create(category=shop["chairs"], name="Wood", value="Plastic", products=5)
    call_command("rebuild_facets", stdout=StringIO())
    assert _rows(shop["tables"]) == TABLES
    assert _rows(shop["chairs"]) == {("", ""): 1, ("Wood", "Oak"): 1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_refreshes_of_one_category_wait_for_each_other():
    category = CategoryFactory(slug="busy")
    for index in range(20):
        product = ProductFactory(category=category)
        VariantFactory(product=product, options={"Colour": f"C{index % 4}"})
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                facet_rows_recompute(category_ids=[category.pk])
        except BaseException as error:  # re-raised below through `errors`
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert _rows(category) == {("", ""): 20, **{("Colour", f"C{i}"): 5 for i in range(4)}}
