"""Variant options in the catalog admin: an input per option name, the JSON kept as storage."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.catalog.admin import VariantAdminForm
from apps.catalog.admin.forms import variant_admin_form
from apps.catalog.models import Product, Variant
from tests.catalog.support import _add_inline_form, _form_data, _url
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_media_in_tmp")]


def _tee(**kwargs: Any) -> Product:
    """A tee in two sizes and colours: TEE-M-RED and TEE-L-BLUE."""
    product = ProductFactory(title="Linen Tee", option_names=["Size", "Colour"], **kwargs)
    VariantFactory(product=product, sku="TEE-M-RED", options={"Size": "M", "Colour": "Red"})
    VariantFactory(product=product, sku="TEE-L-BLUE", options={"Size": "L", "Colour": "Blue"})
    return product


def _post(client: Client, url: str, **changes: Any):
    data = {**_form_data(client.get(url)), **changes, "_save": "Save"}
    return client.post(url, data)


def _variant_form(response) -> Any:
    return response.context["adminform"].form


def _inline_formset(response) -> Any:
    return response.context["inline_admin_formsets"][0].formset


def _options(sku: str) -> dict[str, Any]:
    return Variant.objects.get(sku=sku).options


# --- One input per option name --------------------------------------------------------


def test_the_product_page_shows_an_input_per_option_name_with_current_values(staff_client):
    product = _tee()
    response = staff_client.get(_url("product_change", product.pk))
    html = response.content.decode()
    rows = _inline_formset(response).forms
    assert [(row["option_size"].value(), row["option_colour"].value()) for row in rows] == [
        ("M", "Red"),
        ("L", "Blue"),
    ]
    assert [row.fields["option_size"].label for row in rows] == ["Size", "Size"]
    assert 'name="variants-0-option_size"' in html
    assert 'name="variants-1-option_colour"' in html
    assert "options" not in rows[0].fields
    assert 'name="variants-0-options"' not in html
    assert 'name="variants-0-options_text"' not in html


def test_the_variant_page_shows_an_input_per_option_name_and_no_json(staff_client):
    product = _tee()
    variant = product.variants.get(sku="TEE-L-BLUE")
    response = staff_client.get(_url("variant_change", variant.pk))
    form = _variant_form(response)
    html = response.content.decode()
    assert (form["option_size"].value(), form["option_colour"].value()) == ("L", "Blue")
    assert [form.fields[name].label for name in ("option_size", "option_colour")] == [
        "Size",
        "Colour",
    ]
    assert 'name="option_colour"' in html
    assert "options" not in form.fields
    assert 'name="options"' not in html
    assert "<textarea" not in html


def test_an_option_a_variant_has_but_the_product_does_not_name_still_gets_an_input(
    staff_client,
):
    variant = VariantFactory(
        product__option_names=["Size"], options={"Size": "M", "Material": "Linen"}
    )
    response = staff_client.get(_url("variant_change", variant.pk))
    form = _variant_form(response)
    assert form.fields["option_material"].label == "Material"
    assert form["option_material"].value() == "Linen"

    response = _post(staff_client, _url("variant_change", variant.pk), option_size="L")
    assert response.status_code == 302
    assert _options(variant.sku) == {"Size": "L", "Material": "Linen"}


# --- Saving ---------------------------------------------------------------------------


def test_saving_the_variant_page_writes_the_trimmed_values_to_the_options(staff_client):
    variant = _tee().variants.get(sku="TEE-M-RED")
    response = _post(staff_client, _url("variant_change", variant.pk), option_colour="  Green ")
    assert response.status_code == 302
    assert _options("TEE-M-RED") == {"Size": "M", "Colour": "Green"}


def test_saving_the_product_page_writes_the_changed_row_options(staff_client):
    product = _tee()
    url = _url("product_change", product.pk)
    response = _post(staff_client, url, **{"variants-1-option_size": "XL"})
    assert response.status_code == 302
    assert _options("TEE-L-BLUE") == {"Size": "XL", "Colour": "Blue"}
    assert _options("TEE-M-RED") == {"Size": "M", "Colour": "Red"}


def test_options_are_assembled_in_the_order_of_the_product_option_names():
    variant = VariantFactory(product__option_names=["Colour", "Size"], options={})
    form_class = variant_admin_form(("Colour", "Size"))
    data = {
        "product": variant.product_id,
        "sku": variant.sku,
        "price": "10.00",
        "weight_grams": "0",
        "position": "0",
        "option_size": "S",
        "option_colour": "Red",
    }
    form = form_class(data=data, instance=variant)
    assert form.is_valid(), form.errors
    assert list(form.cleaned_data["options"].items()) == [("Colour", "Red"), ("Size", "S")]
    assert "options" in form.changed_data


def test_two_rows_can_swap_their_options_in_one_save(staff_client):
    product = _tee()
    url = _url("product_change", product.pk)
    swap = {
        "variants-0-option_size": "L",
        "variants-0-option_colour": "Blue",
        "variants-1-option_size": "M",
        "variants-1-option_colour": "Red",
    }
    assert _post(staff_client, url, **swap).status_code == 302
    assert _options("TEE-M-RED") == {"Size": "L", "Colour": "Blue"}
    assert _options("TEE-L-BLUE") == {"Size": "M", "Colour": "Red"}


def test_a_clash_already_stored_does_not_block_saving_other_changes(staff_client):
    product = ProductFactory(option_names=["Size"])
    VariantFactory(product=product, sku="OLD-A", options={"Size": "M"})
    VariantFactory(product=product, sku="OLD-B", options={"Size": "M"}, weight_grams=100)
    url = _url("product_change", product.pk)
    assert _post(staff_client, url, **{"variants-1-weight_grams": "250"}).status_code == 302
    assert Variant.objects.get(sku="OLD-B").weight_grams == 250


# --- Validation -----------------------------------------------------------------------


def test_a_value_the_other_variants_have_is_required_on_the_variant_page(staff_client):
    variant = _tee().variants.get(sku="TEE-M-RED")
    response = _post(staff_client, _url("variant_change", variant.pk), option_colour=" ")
    assert response.status_code == 200
    assert _variant_form(response).errors["option_colour"] == [
        "Enter the Colour: every other variant of this product has one."
    ]
    assert _options("TEE-M-RED") == {"Size": "M", "Colour": "Red"}


def test_a_new_row_without_a_value_the_other_variants_have_is_a_form_error(staff_client):
    product = _tee()
    url = _url("product_change", product.pk)
    data = _form_data(staff_client.get(url))
    _add_inline_form(
        data,
        "variants",
        {"sku": "TEE-S", "option_size": "S", "price": "10.00", "weight_grams": "0", "position": 2},
    )
    response = staff_client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 200
    assert _inline_formset(response).errors[2]["option_colour"] == [
        "Enter the Colour: every other variant of this product has one."
    ]
    assert not Variant.objects.filter(sku="TEE-S").exists()


def test_an_over_long_value_is_a_form_error_and_saves_nothing(staff_client):
    product = _tee()
    url = _url("product_change", product.pk)
    response = _post(staff_client, url, **{"variants-0-option_colour": "x" * 51})
    assert response.status_code == 200
    errors = _inline_formset(response).errors[0]["option_colour"]
    assert errors == ["Ensure this value has at most 50 characters (it has 51)."]
    assert _options("TEE-M-RED") == {"Size": "M", "Colour": "Red"}


def test_a_combination_another_variant_has_is_an_error_naming_its_sku(staff_client):
    variant = _tee().variants.get(sku="TEE-L-BLUE")
    url = _url("variant_change", variant.pk)
    # Case and spaces aside, these are TEE-M-RED's options.
    response = _post(staff_client, url, option_size="m ", option_colour="red")
    assert response.status_code == 200
    assert _variant_form(response).non_field_errors() == [
        "Variant TEE-M-RED already has these options (Size: m, Colour: red). "
        "Each variant of a product needs its own combination."
    ]
    assert _options("TEE-L-BLUE") == {"Size": "L", "Colour": "Blue"}


def test_a_new_row_repeating_a_combination_is_an_error_naming_the_other_row(staff_client):
    product = _tee()
    url = _url("product_change", product.pk)
    data = _form_data(staff_client.get(url))
    data["variants-0-option_colour"] = "Green"
    _add_inline_form(
        data,
        "variants",
        {
            "sku": "TEE-L-BLUE-2",
            "option_size": "L",
            "option_colour": "Blue",
            "price": "10.00",
            "weight_grams": "0",
            "position": 2,
        },
    )
    response = staff_client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 200
    assert _inline_formset(response).errors[2]["__all__"] == [
        "Variant TEE-L-BLUE already has these options (Size: L, Colour: Blue). "
        "Each variant of a product needs its own combination."
    ]
    assert not Variant.objects.filter(sku="TEE-L-BLUE-2").exists()
    assert _options("TEE-M-RED") == {"Size": "M", "Colour": "Red"}


# --- First variants, before the product's option names are known ----------------------


def test_a_product_without_variants_gets_its_first_variant_from_the_option_inputs(
    staff_client,
):
    product = ProductFactory(option_names=["Size", "Colour"])
    url = _url("product_change", product.pk)
    data = _form_data(staff_client.get(url))
    _add_inline_form(
        data,
        "variants",
        {
            "sku": "FIRST-1",
            "option_size": "M",
            "option_colour": "",
            "price": "12.00",
            "weight_grams": "0",
            "position": 0,
        },
    )
    response = staff_client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 302
    assert _options("FIRST-1") == {"Size": "M"}


def test_a_new_product_takes_its_first_variant_options_as_name_value_lines(staff_client):
    response = staff_client.get(_url("product_add"))
    empty_row = _inline_formset(response).forms[0]
    assert "options_text" in empty_row.fields
    assert "options" not in empty_row.fields
    data = _form_data(response)
    data.update(
        {
            "title": "Walnut Board",
            "slug": "walnut-board",
            "category": CategoryFactory().pk,
            "option_names": '["Size", "Finish"]',
            "is_active": "on",
            "variants-0-sku": "BOARD-L-OIL",
            "variants-0-options_text": "finish: Oiled\n\n  Size :  L ",
            "variants-0-price": "45.00",
            "_save": "Save",
        }
    )
    assert staff_client.post(_url("product_add"), data).status_code == 302
    assert _options("BOARD-L-OIL") == {"Size": "L", "Finish": "Oiled"}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Size L", 'Line 1: write one option per line as name and value, e.g. "Size: M".'),
        ("Size: L\nSize: M", "Size is given twice."),
        ("Sise: L", "Walnut Board has no option Sise; its options are Size."),
        ("Size: " + "L" * 51, "Line 1: a name or value can be at most 50 characters"),
    ],
)
def test_bad_name_value_lines_are_form_errors_and_add_nothing(staff_client, text, error):
    data = _form_data(staff_client.get(_url("product_add")))
    data.update(
        {
            "title": "Walnut Board",
            "slug": "walnut-board",
            "category": CategoryFactory().pk,
            "option_names": '["Size"]',
            "is_active": "on",
            "variants-0-sku": "BOARD-1",
            "variants-0-options_text": text,
            "variants-0-price": "45.00",
            "_save": "Save",
        }
    )
    response = staff_client.post(_url("product_add"), data)
    assert response.status_code == 200
    assert error in " ".join(_inline_formset(response).errors[0]["options_text"])
    assert not Product.objects.exists()


def test_the_variant_add_page_checks_the_lines_against_the_picked_product(staff_client):
    product = _tee()
    url = _url("variant_add")
    form = _variant_form(staff_client.get(url))
    assert "options_text" in form.fields
    assert "options" not in form.fields
    add = {
        "product": product.pk,
        "sku": "TEE-S-RED",
        "price": "10.00",
        "is_active": "on",
        "weight_grams": "0",
        "position": "2",
        "_save": "Save",
    }
    response = staff_client.post(url, {**add, "options_text": "Size: S"})
    assert _variant_form(response).errors["options_text"] == [
        "Add Colour: every other variant of this product has it."
    ]
    response = staff_client.post(url, {**add, "options_text": "Colour: Red\nSize: M"})
    assert (
        "Variant TEE-M-RED already has these options"
        in _variant_form(response).non_field_errors()[0]
    )
    assert not Variant.objects.filter(sku="TEE-S-RED").exists()

    response = staff_client.post(url, {**add, "options_text": "Colour: Red\nSize: S"})
    assert response.status_code == 302
    assert _options("TEE-S-RED") == {"Size": "S", "Colour": "Red"}


def test_the_base_form_without_option_names_reads_lines():
    form = VariantAdminForm(
        data={
            "product": ProductFactory(option_names=[]).pk,
            "sku": "PLAIN-1",
            "price": "5.00",
            "weight_grams": "0",
            "position": "0",
            "options_text": "Scent: Cedar",
        }
    )
    assert form.is_valid(), form.errors
    assert form.save().options == {"Scent": "Cedar"}


# --- Query budget ---------------------------------------------------------------------


def test_the_product_page_runs_the_same_queries_for_2_and_10_variants(staff_client):
    product = _tee()
    url = _url("product_change", product.pk)
    staff_client.get(url)  # the first request also loads the session and the permissions

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(url)
        assert response.status_code == 200
        assert len(_inline_formset(response).forms) == product.variants.count()
        return len(queries)

    few = count()
    for i in range(8):
        VariantFactory(product=product, options={"Size": f"S{i}", "Colour": "Grey"})
    assert count() == few
