"""Sales in the admin: set up with items, validated on every save, moved by its buttons."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.core.cache import CATALOG_NAMESPACE, namespace_version
from apps.sales.models import Sale, SaleCustomer, SaleItem, SaleStatus
from apps.sales.selectors import schedule_forget
from tests.catalog.support import _add_inline_form, _form_data
from tests.factories import SaleFactory, SaleItemFactory, VariantFactory

pytestmark = pytest.mark.django_db

NOON = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.get_fixed_timezone(0))


@pytest.fixture(autouse=True)
def _fresh_schedule():
    schedule_forget()
    yield
    schedule_forget()


@pytest.fixture
def staff_client(client: Client, staff) -> Client:
    client.force_login(staff)
    return client


def _url(name: str, *args: Any) -> str:
    return reverse(f"admin:sales_{name}", args=args)


def _times(starts: datetime, ends: datetime) -> dict[str, str]:
    local = [timezone.localtime(moment) for moment in (starts, ends)]
    return {
        "starts_at_0": local[0].strftime("%Y-%m-%d"),
        "starts_at_1": local[0].strftime("%H:%M:%S"),
        "ends_at_0": local[1].strftime("%Y-%m-%d"),
        "ends_at_1": local[1].strftime("%H:%M:%S"),
    }


def _add_data(client: Client, **fields: Any) -> dict[str, Any]:
    data = _form_data(client.get(_url("sale_add")))
    data.update(
        {
            "name": "Summer sale",
            "slug": "summer-sale",
            "room_pass_minutes": "10",
            **_times(NOON, NOON + timedelta(days=2)),
            "_save": "Save",
        }
    )
    data.update(fields)
    return data


def _item(data: dict[str, Any], variant, price: str, units: str = "") -> None:
    fields = {"variant": variant.pk, "sale_price": price, "units": units}
    if data.get("items-0-variant") in (None, ""):
        data.update({f"items-0-{name}": value for name, value in fields.items()})
    else:
        _add_inline_form(data, "items", fields)


def _item_errors(response) -> list[dict[str, list[str]]]:
    formset = response.context["inline_admin_formsets"][0].formset
    return [dict(form.errors) for form in formset.forms]


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _live_sale(sku: str | None = None, **kwargs: Any) -> Sale:
    now = timezone.now()
    sale = SaleFactory(
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=5),
        scheduled_at=now - timedelta(hours=2),
        **kwargs,
    )
    variant = VariantFactory(**({"sku": sku} if sku else {}))
    SaleItemFactory(sale=sale, variant=variant, units=10, units_sold=3)
    return sale


# --- creating a sale with its items -------------------------------------------------


def test_staff_create_a_draft_sale_with_its_items(staff_client):
    mug, board = VariantFactory(sku="MUG-1"), VariantFactory(sku="BOARD-1")
    data = _add_data(staff_client, per_customer_limit="2", room_capacity="500")
    _item(data, mug, "6.50", units="20")
    _item(data, board, "7.00")
    response = staff_client.post(_url("sale_add"), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    sale = Sale.objects.get(slug="summer-sale")
    items = {item.variant.sku: (item.sale_price, item.units) for item in sale.items.all()}
    assert items == {"MUG-1": (Decimal("6.50"), 20), "BOARD-1": (Decimal("7.00"), None)}
    assert (sale.starts_at, sale.per_customer_limit, sale.room_capacity) == (NOON, 2, 500)
    assert sale.status_at() == SaleStatus.DRAFT


def test_saving_a_sale_bumps_the_catalog_after_commit(
    staff_client, django_capture_on_commit_callbacks
):
    data = _add_data(staff_client)
    _item(data, VariantFactory(), "5.00")
    version = namespace_version(CATALOG_NAMESPACE)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_url("sale_add"), data)
    assert response.status_code == 302
    assert namespace_version(CATALOG_NAMESPACE) > version


def test_a_sale_ending_before_it_starts_shows_the_error_and_saves_nothing(staff_client):
    data = _add_data(staff_client, **_times(NOON, NOON - timedelta(hours=1)))
    _item(data, VariantFactory(), "5.00")
    response = staff_client.post(_url("sale_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "ends_at": ["The sale must end after it starts."]
    }
    assert not Sale.objects.exists()


def test_a_limit_per_customer_of_zero_shows_the_error_and_saves_nothing(staff_client):
    data = _add_data(staff_client, per_customer_limit="0")
    _item(data, VariantFactory(), "5.00")
    response = staff_client.post(_url("sale_add"), data)
    assert response.status_code == 200
    assert "per_customer_limit" in response.context["adminform"].form.errors
    assert not Sale.objects.exists()


@pytest.mark.parametrize("price", ["10.00", "10.01"])
def test_a_sale_price_not_below_the_regular_price_shows_on_its_row(staff_client, price):
    data = _add_data(staff_client)
    _item(data, VariantFactory(sku="MUG-OK"), "5.00")
    _item(data, VariantFactory(sku="MUG-1", price=Decimal("10.00")), price)
    response = staff_client.post(_url("sale_add"), data)
    assert response.status_code == 200
    assert _item_errors(response)[1] == {
        "sale_price": [
            f"The sale price of MUG-1 ({price}) must be below its regular price (10.00)."
        ]
    }
    assert not Sale.objects.exists()
    assert not SaleItem.objects.exists()


def test_a_variant_already_in_an_overlapping_draft_shows_that_sale_and_saves_nothing(
    staff_client,
):
    variant = VariantFactory(sku="MUG-1")
    SaleItemFactory(
        variant=variant,
        sale=SaleFactory(
            name="Spring draft",
            starts_at=NOON - timedelta(days=1),
            ends_at=NOON + timedelta(hours=1),
        ),
    )
    data = _add_data(staff_client)
    _item(data, variant, "5.00")
    response = staff_client.post(_url("sale_add"), data)
    assert response.status_code == 200
    [errors] = _item_errors(response)
    assert "MUG-1 is already in the sale “Spring draft”" in errors["variant"][0]
    assert Sale.objects.count() == 1


def test_one_variant_twice_in_a_sale_is_refused(staff_client):
    variant = VariantFactory()
    data = _add_data(staff_client)
    _item(data, variant, "5.00")
    _item(data, variant, "6.00")
    response = staff_client.post(_url("sale_add"), data)
    assert response.status_code == 200
    assert not Sale.objects.exists()


def test_a_live_sale_can_be_edited_but_its_items_are_still_validated(
    staff_client, django_capture_on_commit_callbacks
):
    sale = _live_sale()
    item = sale.items.get()
    url = _url("sale_change", sale.pk)
    data = _form_data(staff_client.get(url))
    data.update({"items-0-sale_price": str(item.variant.price), "_save": "Save"})
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "sale_price" in _item_errors(response)[0]
    item.refresh_from_db()
    assert item.sale_price < item.variant.price

    later = (sale.ends_at + timedelta(hours=3)).replace(microsecond=0)
    data.update({"items-0-sale_price": "4.00", **_times(sale.starts_at, later)})
    version = namespace_version(CATALOG_NAMESPACE)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, data)
    assert response.status_code == 302
    sale.refresh_from_db()
    item.refresh_from_db()
    assert (sale.ends_at, item.sale_price, item.units_sold) == (later, Decimal("4.00"), 3)
    assert sale.status_at() == SaleStatus.LIVE
    assert namespace_version(CATALOG_NAMESPACE) > version


# --- the change page: buttons, the live panel ---------------------------------------


def test_the_change_page_shows_the_live_panel_and_the_buttons_that_apply(staff_client):
    sale = _live_sale(sku="MUG-LIVE", name="Live sale")
    SaleCustomer.objects.create(sale=sale, customer_key="user:1", units=3)
    response = staff_client.get(_url("sale_change", sale.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert "MUG-LIVE" in page
    assert "1 customer</a>" in page
    assert _url("sale_suspend", sale.pk) in page
    assert _url("sale_end", sale.pk) in page
    assert _url("sale_schedule", sale.pk) not in page
    assert _url("sale_resume", sale.pk) not in page
    assert "Waiting room" in page


@pytest.mark.parametrize(
    ("button", "status"),
    [("suspend", SaleStatus.SUSPENDED), ("end", SaleStatus.ENDED)],
)
def test_a_button_asks_first_then_moves_the_live_sale(staff_client, button, status):
    sale = _live_sale()
    url = _url(f"sale_{button}", sale.pk)
    confirm = staff_client.get(url)
    assert confirm.status_code == 200
    sale.refresh_from_db()
    assert sale.status_at() == SaleStatus.LIVE
    response = staff_client.post(url, follow=True)
    sale.refresh_from_db()
    assert sale.status_at() == status
    word = status.label.lower()
    assert _messages(response) == [f"“{sale.name}” {word}: it is now {word}."]


def test_schedule_then_resume_through_the_buttons_follows_status_at(staff_client):
    sale = SaleFactory(name="Autumn", starts_at=NOON, ends_at=NOON + timedelta(days=1))
    SaleItemFactory(sale=sale)
    with time_machine.travel(NOON - timedelta(hours=2), tick=False):
        response = staff_client.post(_url("sale_schedule", sale.pk), follow=True)
        assert _messages(response) == ["“Autumn” scheduled: it is now scheduled."]
        response = staff_client.post(_url("sale_suspend", sale.pk), follow=True)
        assert _messages(response) == ["“Autumn” suspended: it is now suspended."]
        sale.refresh_from_db()
        assert sale.status_at() == SaleStatus.SUSPENDED
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        response = staff_client.post(_url("sale_resume", sale.pk), follow=True)
        assert _messages(response) == ["“Autumn” resumed: it is now live."]
        sale.refresh_from_db()
        assert sale.status_at() == SaleStatus.LIVE


def test_a_refused_button_says_why_and_changes_nothing(staff_client):
    sale = SaleFactory(name="Empty")
    response = staff_client.post(_url("sale_schedule", sale.pk), follow=True)
    assert _messages(response) == [
        "Not scheduled: Add at least one item before scheduling the sale."
    ]
    response = staff_client.post(_url("sale_end", sale.pk), follow=True)
    assert _messages(response) == ["Not ended: “Empty” is still a draft: it cannot be ended now."]
    sale.refresh_from_db()
    assert sale.status_at() == SaleStatus.DRAFT


# --- the changelist: status, filter, actions, queries -------------------------------


def _one_sale_per_status() -> dict[SaleStatus, Sale]:
    now = timezone.now()
    hour = timedelta(hours=1)
    future = {"starts_at": now + hour, "ends_at": now + 5 * hour}
    running = {"starts_at": now - hour, "ends_at": now + 5 * hour, "scheduled_at": now - 2 * hour}
    return {
        SaleStatus.DRAFT: SaleFactory(name="Is draft", **future),
        SaleStatus.SCHEDULED: SaleFactory(name="Is scheduled", **future, scheduled_at=now),
        SaleStatus.LIVE: SaleFactory(name="Is live", **running),
        SaleStatus.SUSPENDED: SaleFactory(name="Is suspended", **running, suspended_at=now),
        SaleStatus.ENDED: SaleFactory(name="Is ended", **running, ended_at=now),
    }


def test_the_status_filter_agrees_with_status_at(staff_client):
    sales = _one_sale_per_status()
    SaleFactory(
        name="Ran out of time",
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=2),
        scheduled_at=timezone.now() - timedelta(days=4),
    )
    client = staff_client
    for status, sale in sales.items():
        response = client.get(_url("sale_changelist"), {"status": status.value})
        listed = list(response.context["cl"].result_list)
        assert all(s.status_at() == status for s in listed), status
        assert sale in listed, status
    ended = client.get(_url("sale_changelist"), {"status": "ended"}).context["cl"].result_list
    assert {s.name for s in ended} == {"Is ended", "Ran out of time"}


def test_the_changelist_shows_status_items_and_units(staff_client):
    sale = _live_sale(name="Live sale")
    SaleItemFactory(sale=sale, units=None)
    response = staff_client.get(_url("sale_changelist"))
    page = response.content.decode()
    assert "Live sale" in page
    assert "Live</td>" in page
    assert "7, more while stock lasts" in page


def test_actions_report_what_changed_and_what_was_refused(staff_client):
    ready = SaleFactory(name="Ready")
    SaleItemFactory(sale=ready)
    empty = SaleFactory(name="Empty")
    response = staff_client.post(
        _url("sale_changelist"),
        {"action": "schedule_selected", "_selected_action": [ready.pk, empty.pk]},
        follow=True,
    )
    assert sorted(_messages(response)) == [
        "Not scheduled: Add at least one item before scheduling the sale.",
        "Scheduled 1 sale: “Ready”.",
    ]
    ready.refresh_from_db()
    empty.refresh_from_db()
    assert (ready.status_at(), empty.status_at()) == (SaleStatus.SCHEDULED, SaleStatus.DRAFT)


@pytest.mark.parametrize(
    ("action", "status"),
    [("suspend_selected", SaleStatus.SUSPENDED), ("end_selected", SaleStatus.ENDED)],
)
def test_suspend_and_end_actions_move_the_live_sales(staff_client, action, status):
    sales = [_live_sale(), _live_sale()]
    staff_client.post(
        _url("sale_changelist"), {"action": action, "_selected_action": [s.pk for s in sales]}
    )
    for sale in sales:
        sale.refresh_from_db()
        assert sale.status_at() == status


def test_the_changelist_runs_the_same_queries_for_2_and_20_sales(staff_client):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(_url("sale_changelist"))
        assert response.status_code == 200
        return len(queries)

    for _ in range(2):
        SaleItemFactory(sale=_live_sale())
    two = count()
    for _ in range(18):
        SaleItemFactory(sale=_live_sale())
    assert count() == two


# --- who bought what, and who may look ----------------------------------------------


def test_customers_and_claims_are_read_only_lists_for_staff(staff_client):
    sale = _live_sale()
    SaleCustomer.objects.create(sale=sale, customer_key="email:ada@example.com", units=2)
    response = staff_client.get(_url("salecustomer_changelist"), {"sale__id__exact": sale.pk})
    assert "email:ada@example.com" in response.content.decode()
    assert staff_client.get(_url("saleclaim_changelist")).status_code == 200
    assert staff_client.get(_url("salecustomer_add")).status_code == 403
    assert staff_client.get(_url("saleclaim_add")).status_code == 403


def test_shoppers_cannot_reach_the_sales_admin_or_move_a_sale(client, shopper):
    sale = _live_sale()
    client.force_login(shopper)
    for url in [
        _url("sale_changelist"),
        _url("sale_add"),
        _url("sale_change", sale.pk),
        _url("sale_end", sale.pk),
        _url("saleclaim_changelist"),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert reverse("admin:login") in response["Location"]
    client.post(_url("sale_end", sale.pk))
    sale.refresh_from_db()
    assert sale.status_at() == SaleStatus.LIVE


def test_the_live_panel_shows_the_waiting_room_when_the_sale_has_one(staff_client):
    sale = _live_sale(room_capacity=50)
    page = staff_client.get(_url("sale_change", sale.pk)).content.decode()
    assert "<th>Waiting</th><td>0</td>" in page
    assert "<th>Shopping</th><td>0</td>" in page
    no_room = _live_sale()
    assert (
        "<th>Waiting</th>" not in staff_client.get(_url("sale_change", no_room.pk)).content.decode()
    )
