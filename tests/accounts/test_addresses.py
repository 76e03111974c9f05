"""The address book: owner-only, one default, clear form errors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.models import Address
from tests.factories import AddressFactory

pytestmark = pytest.mark.django_db

VALID = {
    "full_name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}


def test_first_address_becomes_the_default(client, shopper):
    client.force_login(shopper)
    response = client.post(reverse("accounts:address_create"), VALID)
    assert response.status_code == 302
    address = Address.objects.get(user=shopper)
    assert address.is_default


def test_address_form_shows_errors_and_saves_nothing(client, shopper):
    client.force_login(shopper)
    response = client.post(
        reverse("accounts:address_create"), {**VALID, "country": "XX", "city": ""}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"country", "city"}
    assert not Address.objects.exists()


def test_making_another_address_default_moves_the_flag(client, shopper):
    first = AddressFactory(user=shopper, is_default=True)
    second = AddressFactory(user=shopper)
    client.force_login(shopper)
    response = client.post(reverse("accounts:address_make_default", args=[second.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)


def test_deleting_the_default_promotes_the_newest_remaining(client, shopper):
    default = AddressFactory(user=shopper, is_default=True)
    AddressFactory(user=shopper)
    newest = AddressFactory(user=shopper)
    client.force_login(shopper)
    response = client.post(reverse("accounts:address_delete", args=[default.pk]))
    assert response.status_code == 302
    newest.refresh_from_db()
    assert newest.is_default
    assert Address.objects.filter(user=shopper, is_default=True).count() == 1


def test_address_list_shows_only_the_users_own(client, shopper, other_shopper):
    mine = AddressFactory(user=shopper, line1="1 Mine Street")
    AddressFactory(user=other_shopper, line1="99 Theirs Road")
    client.force_login(shopper)
    response = client.get(reverse("accounts:address_list"))
    assert list(response.context["addresses"]) == [mine]
    body = response.content.decode()
    assert "1 Mine Street" in body
    assert "99 Theirs Road" not in body


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("accounts:address_update", "get"),
        ("accounts:address_update", "post"),
        ("accounts:address_delete", "get"),
        ("accounts:address_delete", "post"),
        ("accounts:address_make_default", "post"),
    ],
)
def test_another_users_address_answers_404(client, shopper, other_shopper, name, method):
    theirs = AddressFactory(user=other_shopper, is_default=True)
    client.force_login(shopper)
    response = getattr(client, method)(reverse(name, args=[theirs.pk]), VALID)
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.line1 != VALID["line1"]
    assert theirs.is_default


def test_address_pages_require_login(client):
    response = client.get(reverse("accounts:address_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_address_list_shows_an_empty_state(client, shopper):
    client.force_login(shopper)
    response = client.get(reverse("accounts:address_list"))
    assert "Your address book is empty" in response.content.decode()
