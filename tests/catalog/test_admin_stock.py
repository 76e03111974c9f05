"""Stock in the catalog admin: each change a movement, a read-only ledger, no lost update."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.db.models import Sum
from django.test import Client

from apps.catalog import services
from apps.catalog.admin import VariantAdminForm
from apps.catalog.models import StockMovement, Variant
from apps.orders.services import ShippingAddress, order_place
from tests.catalog.support import _add_inline_form, _form_data, _results, _url
from tests.factories import (
    CartFactory,
    CartLineFactory,
    ProductFactory,
    ShippingMethodFactory,
    VariantFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_media_in_tmp")]


def _variant_change(client: Client, variant: Variant, **changes: Any):
    url = _url("variant_change", variant.pk)
    data = {**_form_data(client.get(url)), **changes, "_save": "Save"}
    return client.post(url, data)


# --- Stock changes are movements ------------------------------------------------------


@pytest.mark.parametrize(
    ("entered", "delta", "reason", "stock"),
    [("+20", 20, "received", 30), ("=50", 40, "count", 50), ("-3", -3, "adjustment", 7)],
)
def test_stock_change_goes_through_the_movement_service(
    staff_client, staff, entered, delta, reason, stock
):
    variant = VariantFactory(stock=10)
    response = _variant_change(staff_client, variant, stock_change=entered, stock_note="Shelf 4")
    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.stock == stock
    movement = StockMovement.objects.get(variant=variant)
    assert (movement.delta, movement.reason, movement.actor, movement.note) == (
        delta,
        reason,
        staff,
        "Shelf 4",
    )
    assert movement.stock_after == stock


@pytest.mark.parametrize(
    ("entered", "error"),
    [
        ("abc", 'Write "+20" to add stock'),
        ("50", 'Write "+20" to add stock'),
        ("-999", "Only 10 in stock; cannot remove 999."),
        ("+0", "A change of zero changes nothing."),
        ("+99999999", "A single change can be at most 1,000,000."),
    ],
)
def test_bad_stock_changes_are_form_errors_and_change_nothing(staff_client, entered, error):
    variant = VariantFactory(stock=10)
    response = _variant_change(staff_client, variant, stock_change=entered)
    assert response.status_code == 200
    assert error in " ".join(response.context["adminform"].form.errors["stock_change"])
    variant.refresh_from_db()
    assert variant.stock == 10
    assert not StockMovement.objects.exists()


def test_a_posted_stock_number_is_never_written(staff_client):
    variant = VariantFactory(stock=10, weight_grams=100)
    response = _variant_change(staff_client, variant, stock="999", weight_grams="250")
    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.stock, variant.weight_grams) == (10, 250)
    assert not StockMovement.objects.exists()


def test_saving_a_variant_form_keeps_a_sale_made_after_the_form_was_loaded(staff_client):
    variant = VariantFactory(stock=10, weight_grams=100)
    url = _url("variant_change", variant.pk)
    data = {**_form_data(staff_client.get(url)), "weight_grams": "300", "_save": "Save"}
    services.stock_adjust(variant_id=variant.pk, delta=-4, reason="sale")
    assert staff_client.post(url, data).status_code == 302
    variant.refresh_from_db()
    assert (variant.stock, variant.weight_grams) == (6, 300)


def test_a_removal_refused_at_save_time_is_reported_not_a_500(staff_client, monkeypatch):
    variant = VariantFactory(stock=10)
    # The form saw 10 in stock; a sale takes 8 between validation and save.
    original = VariantAdminForm.clean_stock_change

    def clean_then_sell(form):
        change = original(form)
        services.stock_adjust(variant_id=variant.pk, delta=-8, reason="sale")
        return change

    monkeypatch.setattr(VariantAdminForm, "clean_stock_change", clean_then_sell)
    response = _variant_change(staff_client, variant, stock_change="-5")
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Stock of" in m and "Only 2 in stock" in m for m in messages)
    variant.refresh_from_db()
    assert variant.stock == 2
    assert list(StockMovement.objects.values_list("reason", flat=True)) == ["sale"]


def test_inline_stock_changes_and_new_variants_record_movements(staff_client, staff):
    variant = VariantFactory(stock=4, sku="OLD-1")
    product = variant.product
    url = _url("product_change", product.pk)
    data = _form_data(staff_client.get(url))
    data["variants-0-stock_change"] = "+6"
    _add_inline_form(
        data,
        "variants",
        {
            "product": product.pk,
            "sku": "NEW-1",
            "option_size": "L",
            "price": "8.00",
            "is_active": "on",
            "weight_grams": "0",
            "position": "1",
            "stock_change": "=7",
        },
    )
    response = staff_client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 302
    new = Variant.objects.get(sku="NEW-1")
    variant.refresh_from_db()
    assert (variant.stock, new.stock) == (10, 7)
    movements = {m.variant.sku: m for m in StockMovement.objects.select_related("variant")}
    assert (movements["OLD-1"].delta, movements["OLD-1"].reason) == (6, "received")
    assert (movements["NEW-1"].delta, movements["NEW-1"].reason) == (7, "count")
    assert {m.actor for m in movements.values()} == {staff}
    product.refresh_from_db()
    assert product.price == Decimal("8.00")


def test_an_inline_removal_beyond_stock_is_a_form_error(staff_client):
    variant = VariantFactory(stock=3)
    url = _url("product_change", variant.product.pk)
    data = {**_form_data(staff_client.get(url)), "variants-0-stock_change": "-4", "_save": "Save"}
    response = staff_client.post(url, data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.errors[0]["stock_change"] == ["Only 3 in stock; cannot remove 4."]
    variant.refresh_from_db()
    assert variant.stock == 3


def test_a_variant_added_in_the_variant_admin_gets_its_stock_as_a_movement(staff_client, staff):
    product = ProductFactory()
    response = staff_client.post(
        _url("variant_add"),
        {
            "product": product.pk,
            "sku": "ADD-1",
            "price": "5.00",
            "is_active": "on",
            "weight_grams": "0",
            "position": "0",
            "stock": "500",
            "stock_change": "+12",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    variant = Variant.objects.get(sku="ADD-1")
    assert variant.stock == 12
    movement = StockMovement.objects.get(variant=variant)
    assert (movement.delta, movement.reason, movement.actor) == (12, "received", staff)


# --- Stock movements are a read-only ledger -------------------------------------------


def test_stock_movements_cannot_be_added_changed_or_deleted(staff_client, staff):
    variant = VariantFactory(sku="LEDGER-1")
    movement = services.stock_adjust(variant_id=variant.pk, delta=5, reason="received", actor=staff)
    assert staff_client.get(_url("stockmovement_add")).status_code == 403
    assert staff_client.get(_url("stockmovement_delete", movement.pk)).status_code == 403
    response = staff_client.post(
        _url("stockmovement_change", movement.pk), {"delta": "500", "stock_after": "505"}
    )
    assert response.status_code == 403
    movement.refresh_from_db()
    assert movement.delta == 5
    html = staff_client.get(_url("stockmovement_change", movement.pk)).content.decode()
    assert 'name="_save"' not in html


def test_stock_movements_filter_by_reason_and_search_by_sku(staff_client, staff):
    first = VariantFactory(sku="FIND-ME")
    second = VariantFactory(sku="OTHER")
    received = services.stock_adjust(variant_id=first.pk, delta=5, reason="received")
    sale = services.stock_adjust(variant_id=first.pk, delta=-1, reason="sale")
    services.stock_adjust(variant_id=second.pk, delta=-1, reason="sale")
    response = staff_client.get(_url("stockmovement_changelist"), {"q": "find"})
    assert _results(response) == {received, sale}
    response = staff_client.get(_url("stockmovement_changelist"), {"reason__exact": "received"})
    assert _results(response) == {received}


# --- Concurrency ----------------------------------------------------------------------


def _in_thread(job, barrier: threading.Barrier, errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            barrier.wait()
            job()
        except BaseException as error:  # re-raised by the test through `errors`
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("entered", ["=50", "+20"])
@pytest.mark.parametrize("forced", [True, False], ids=["sale-inside-admin-save", "free-race"])
def test_an_admin_stock_change_racing_an_order_loses_no_update(staff, monkeypatch, entered, forced):
    variant = VariantFactory(stock=30)
    client = Client()
    client.force_login(staff)
    url = _url("variant_change", variant.pk)
    data = {**_form_data(client.get(url)), "stock_change": entered, "_save": "Save"}

    admin_has_read, sale_done = threading.Event(), threading.Event()
    if forced:
        # Holds the admin request after it has read the variant and validated the form,
        # and lets the sale commit right there: the window a stale write would fall into.
        original = VariantAdminForm.clean_stock_change

        def clean_and_wait(form):
            change = original(form)
            admin_has_read.set()
            assert sale_done.wait(timeout=20), "the sale never finished"
            return change

        monkeypatch.setattr(VariantAdminForm, "clean_stock_change", clean_and_wait)

    statuses: list[int] = []

    def admin_change() -> None:
        statuses.append(client.post(url, data).status_code)

    # The sale is a real order: a cart holding 4 units, placed through checkout's service.
    cart = CartFactory()
    CartLineFactory(cart=cart, variant=variant, quantity=4)
    method = ShippingMethodFactory()

    def sale() -> None:
        if forced:
            assert admin_has_read.wait(timeout=20), "the admin never read the variant"
        order_place(
            cart=cart,
            email="buyer@example.com",
            address=ShippingAddress(
                full_name="Ada", line1="1 Way", city="London", postal_code="N1", country="GB"
            ),
            shipping_method_id=method.pk,
        )
        sale_done.set()

    barrier = threading.Barrier(2, timeout=20)
    errors: list[BaseException] = []
    threads = [_in_thread(job, barrier, errors) for job in (admin_change, sale)]
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert statuses == [302]

    variant.refresh_from_db()
    movements = StockMovement.objects.filter(variant=variant)
    assert sorted(movements.values_list("reason", flat=True)) == sorted(
        ["sale", "count" if entered == "=50" else "received"]
    )
    assert variant.stock == 30 + movements.aggregate(total=Sum("delta"))["total"]
    assert movements.order_by("-id").first().stock_after == variant.stock
    if entered == "+20":
        assert variant.stock == 30 - 4 + 20
    elif forced:
        assert variant.stock == 50  # counted after the sale, so the count stands
    else:
        assert variant.stock in {50, 46}  # count then sale, or sale then count
