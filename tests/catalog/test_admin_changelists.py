"""The catalog admin's changelists: search, filters, bulk actions and the CSV export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from apps.catalog.models import Product
from tests.catalog.support import _results, _url
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_media_in_tmp")]


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


# --- Search and filters ---------------------------------------------------------------


def test_search_by_sku_lists_a_product_once_even_when_several_variants_match(staff_client):
    tee = ProductFactory(title="Linen Tee")
    VariantFactory(product=tee, sku="TEE-RED-S")
    VariantFactory(product=tee, sku="TEE-RED-M")
    mug = ProductFactory(title="Stoneware Mug")
    VariantFactory(product=mug, sku="MUG-1")
    response = staff_client.get(_url("product_changelist"), {"q": "tee-red"})
    assert list(response.context["cl"].result_list) == [tee]
    response = staff_client.get(_url("product_changelist"), {"q": "stoneware"})
    assert _results(response) == {mug}


def test_search_words_must_all_match_title_slug_or_sku(staff_client):
    tee = ProductFactory(title="Linen Tee")
    VariantFactory(product=tee, sku="LIN-42")
    ProductFactory(title="Linen Towel")
    response = staff_client.get(_url("product_changelist"), {"q": "linen lin-42"})
    assert _results(response) == {tee}


def test_stock_state_filter_follows_the_best_stocked_active_variant(staff_client):
    def product(title: str, *stocks: int, inactive_stock: int | None = None) -> Product:
        made = ProductFactory(title=title)
        for stock in stocks:
            VariantFactory(product=made, stock=stock)
        if inactive_stock is not None:
            VariantFactory(product=made, stock=inactive_stock, is_active=False)
        return made

    plenty = product("Plenty", 0, 50)
    low = product("Low", 3, 0, inactive_stock=100)
    edge = product("Edge", 5)
    sold_out = product("Sold out", 0, inactive_stock=20)
    no_variants = product("No variants")
    expected = {
        "in_stock": {plenty},
        "low": {low, edge},
        "sold_out": {sold_out, no_variants},
    }
    for state, products in expected.items():
        response = staff_client.get(_url("product_changelist"), {"stock": state})
        assert _results(response) == products, state
    html = staff_client.get(_url("product_changelist")).content.decode()
    assert "50 (in stock)" in html
    assert "3 (low)" in html


def test_variant_stock_state_filter_matches_the_storefront_states(staff_client):
    plenty = VariantFactory(stock=6)
    low = VariantFactory(stock=1)
    empty = VariantFactory(stock=0)
    switched_off = VariantFactory(stock=40, is_active=False)
    expected = {"in_stock": {plenty}, "low": {low}, "sold_out": {empty, switched_off}}
    for state, variants in expected.items():
        response = staff_client.get(_url("variant_changelist"), {"stock": state})
        assert _results(response) == variants, state


def test_category_filter_includes_subcategories(staff_client):
    kitchen = CategoryFactory(name="Kitchen")
    kettles = CategoryFactory(name="Kettles", parent=kitchen)
    garden = CategoryFactory(name="Garden")
    kettle = ProductFactory(category=kettles)
    pan = ProductFactory(category=kitchen)
    ProductFactory(category=garden)
    response = staff_client.get(_url("product_changelist"), {"category": kitchen.pk})
    assert _results(response) == {kettle, pan}
    response = staff_client.get(_url("product_changelist"), {"category": kettles.pk})
    assert _results(response) == {kettle}
    response = staff_client.get(_url("product_changelist"), {"category": "999999"})
    assert _results(response) == set()


# --- Bulk actions ---------------------------------------------------------------------


@pytest.mark.parametrize(("action", "active"), [("activate", True), ("deactivate", False)])
def test_bulk_activate_and_deactivate_change_only_the_selected(staff_client, action, active):
    chosen = ProductFactory.create_batch(2, is_active=not active)
    other = ProductFactory(is_active=not active)
    response = staff_client.post(
        _url("product_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [p.pk for p in chosen]},
    )
    assert response.status_code == 302
    assert set(Product.objects.filter(is_active=active)) == set(chosen)
    other.refresh_from_db()
    assert other.is_active is not active


def test_move_to_category_asks_for_the_category_first_then_moves(staff_client):
    old = CategoryFactory(name="Old")
    new = CategoryFactory(name="New", parent=CategoryFactory(name="Parent"))
    chosen = ProductFactory.create_batch(2, category=old)
    other = ProductFactory(category=old)
    selection = {"action": "move_to_category", ACTION_CHECKBOX_NAME: [p.pk for p in chosen]}

    response = staff_client.post(_url("product_changelist"), selection)
    assert response.status_code == 200
    assert "admin/catalog/product/move_to_category.html" in [t.name for t in response.templates]
    assert "Move 2 products" in response.content.decode()
    assert Product.objects.filter(category=old).count() == 3

    response = staff_client.post(_url("product_changelist"), {**selection, "apply": "yes"})
    assert response.status_code == 200
    assert "Please choose a category" in response.content.decode()
    assert Product.objects.filter(category=old).count() == 3

    response = staff_client.post(
        _url("product_changelist"), {**selection, "apply": "yes", "category": new.pk}
    )
    assert response.status_code == 302
    assert set(Product.objects.filter(category=new)) == set(chosen)
    other.refresh_from_db()
    assert other.category == old


def test_move_to_category_across_all_pages_honours_the_search(staff_client):
    target = CategoryFactory(name="Target")
    lamps = [ProductFactory(title=f"Brass lamp {i}") for i in range(3)]
    chair = ProductFactory(title="Oak chair")
    response = staff_client.post(
        _url("product_changelist") + "?q=lamp",
        {
            "action": "move_to_category",
            ACTION_CHECKBOX_NAME: [lamps[0].pk],
            "select_across": "1",
            "apply": "yes",
            "category": target.pk,
        },
    )
    assert response.status_code == 302
    assert set(Product.objects.filter(category=target)) == set(lamps)
    chair.refresh_from_db()
    assert chair.category != target


# --- CSV export -----------------------------------------------------------------------


def test_csv_export_streams_one_row_per_variant_of_the_filtered_list(staff_client):
    shown = ProductFactory(title="Shown", slug="shown", category__name="Lamps")
    VariantFactory(
        product=shown,
        sku="S-1",
        options={"Size": "S", "Colour": "Red"},
        price=Decimal("9.50"),
        compare_at_price=Decimal("12.00"),
        stock=4,
    )
    VariantFactory(product=shown, sku="S-2", options={"Size": "M"}, is_active=False)
    empty = ProductFactory(title="Empty", slug="empty")
    hidden = ProductFactory(title="Hidden", is_active=False)
    VariantFactory(product=hidden, sku="H-1")

    response = staff_client.get(_url("product_export"), {"is_active__exact": "1", "o": "1"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = _csv_rows(response)
    assert header == [
        "title",
        "slug",
        "category",
        "sku",
        "options",
        "price",
        "compare_at_price",
        "stock",
        "product_active",
        "variant_active",
    ]
    assert rows == [
        ["Empty", "empty", empty.category.name, "", "", "", "", "", "yes", ""],
        [
            "Shown",
            "shown",
            "Lamps",
            "S-1",
            "Size: S; Colour: Red",
            "9.50",
            "12.00",
            "4",
            "yes",
            "yes",
        ],
        ["Shown", "shown", "Lamps", "S-2", "Size: M", "10.00", "", "10", "yes", "no"],
    ]


def test_csv_export_honours_the_search_and_the_changelist_links_to_it(staff_client):
    VariantFactory(product__title="Brass lamp", sku="LAMP-1")
    VariantFactory(product__title="Oak chair", sku="CHAIR-1")
    html = staff_client.get(_url("product_changelist"), {"q": "lamp"}).content.decode()
    assert f'href="{_url("product_export")}?q=lamp"' in html
    rows = _csv_rows(staff_client.get(_url("product_export"), {"q": "lamp"}))
    assert [row[3] for row in rows[1:]] == ["LAMP-1"]


def test_csv_export_action_exports_the_selection_and_defuses_formulas(staff_client):
    risky = ProductFactory(title="=HYPERLINK('http://evil')")
    VariantFactory(product=risky, sku="@SUM")
    VariantFactory(product__title="Not selected")
    response = staff_client.post(
        _url("product_changelist"),
        {"action": "export_selected_csv", ACTION_CHECKBOX_NAME: [risky.pk]},
    )
    rows = _csv_rows(response)
    assert len(rows) == 2
    assert rows[1][0] == "'=HYPERLINK('http://evil')"
    assert rows[1][3] == "'@SUM"


def test_a_bad_filter_on_the_export_goes_back_to_the_changelist(staff_client):
    response = staff_client.get(_url("product_export"), {"no_such_field": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(_url("product_changelist"))
