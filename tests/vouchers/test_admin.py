"""Staff run promotions in the admin: create, deactivate, bulk-generate, see uses."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.vouchers.models import Voucher
from tests.factories import VoucherFactory

pytestmark = pytest.mark.django_db


def test_the_voucher_list_and_change_pages_render(client, staff):
    voucher = VoucherFactory(code="SPRING")
    client.force_login(staff)
    assert client.get(reverse("admin:vouchers_voucher_changelist")).status_code == 200
    page = client.get(reverse("admin:vouchers_voucher_change", args=[voucher.pk]))
    assert page.status_code == 200


def test_staff_create_a_voucher_and_the_code_is_stored_upper_case(client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("admin:vouchers_voucher_add"),
        {
            "code": "summer25",
            "kind": "percentage",
            "value": "25",
            "is_active": "on",
            "redemptions-TOTAL_FORMS": "0",
            "redemptions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Voucher.objects.get().code == "SUMMER25"


def test_a_percentage_above_100_is_refused_by_the_database_rule(client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("admin:vouchers_voucher_add"),
        {
            "code": "TOOMUCH",
            "kind": "percentage",
            "value": "150",
            "redemptions-TOTAL_FORMS": "0",
            "redemptions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert not Voucher.objects.exists()


def test_deactivate_action(client, staff):
    voucher = VoucherFactory()
    client.force_login(staff)
    client.post(
        reverse("admin:vouchers_voucher_changelist"),
        {"action": "deactivate", "_selected_action": [voucher.pk]},
    )
    voucher.refresh_from_db()
    assert voucher.is_active is False


def test_bulk_generate_makes_unique_codes(client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("admin:vouchers_voucher_generate"),
        {"code_prefix": "vip", "count": "25", "kind": "fixed", "value": "5.00", "usage_limit": "1"},
    )
    assert response.status_code == 302
    codes = list(Voucher.objects.values_list("code", flat=True))
    assert len(set(codes)) == 25
    assert all(code.startswith("VIP-") for code in codes)
    assert Voucher.objects.filter(value=Decimal("5.00"), usage_limit=1).count() == 25


def test_bulk_generate_shows_errors_for_bad_input(client, staff):
    client.force_login(staff)
    response = client.post(
        reverse("admin:vouchers_voucher_generate"),
        {"code_prefix": "no spaces!", "count": "0", "kind": "percentage", "value": "200"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"code_prefix", "count", "value"}
    assert not Voucher.objects.exists()
