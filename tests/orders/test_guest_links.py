"""A guest's e-mail link opens that one order in any browser, for a while, and nothing else."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.orders.links import guest_order_token
from apps.orders.models import Order
from tests.orders.support import _order

pytestmark = pytest.mark.django_db

EXPIRED = "This link has expired; look up your order with its number and e-mail."


def _placed(capture, *, user: User | None = None) -> Order:
    """An order placed with its confirmation e-mail sent, as the on-commit task sends it."""
    with capture(execute=True):
        order = _order(email=user.email if user else "guest@example.com", user=user)
    assert len(mail.outbox) == 1
    return order


def _link(order: Order) -> str:
    """The order link in the text part of the order's confirmation e-mail."""
    match = re.search(r"^https?://\S+$", mail.outbox[0].body, re.MULTILINE)
    assert match, mail.outbox[0].body
    assert order.get_absolute_url() in match.group()
    return match.group()


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["key"][0]


def test_a_guests_confirmation_email_links_to_the_order_with_a_signed_key(
    django_capture_on_commit_callbacks,
):
    order = _placed(django_capture_on_commit_callbacks)
    link = _link(order)
    assert _token(link).startswith(f"{order.number}:")
    html = mail.outbox[0].alternatives[0][0]
    assert f'href="{link}"' in html
    assert "in any browser for 30 days" in mail.outbox[0].body


def test_the_email_link_opens_the_order_its_invoice_and_pay_page_in_a_browser_without_cookies(
    django_capture_on_commit_callbacks,
):
    order = _placed(django_capture_on_commit_callbacks)
    phone = Client()
    opened = phone.get(_path(_link(order)))
    assert opened.status_code == 302
    assert opened["Location"] == order.get_absolute_url()  # the token leaves the address bar

    page = phone.get(opened["Location"])
    assert page.status_code == 200
    assert order.number in page.content.decode()
    invoice = phone.get(reverse("orders:invoice", args=[order.number]))
    assert invoice.status_code == 200
    assert order.number in invoice.content.decode()
    pay = phone.get(reverse("checkout:pay", args=[order.number]))
    assert pay.status_code == 200
    assert pay.context["order"] == order


def test_the_email_link_opens_no_other_order(django_capture_on_commit_callbacks):
    order = _placed(django_capture_on_commit_callbacks)
    other = _order(email="someone-else@example.com")
    phone = Client()
    token = _token(_link(order))
    other_url = reverse("orders:detail", args=[other.number])
    assert phone.get(other_url, {"key": token}).status_code == 404
    assert phone.get(other_url).status_code == 404
    assert phone.get(reverse("orders:invoice", args=[other.number])).status_code == 404
    assert phone.get(reverse("checkout:pay", args=[other.number])).status_code == 404


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: token.split(":", 1)[0],
        lambda token: "",
    ],
    ids=["changed-signature", "number-only", "empty"],
)
def test_a_tampered_key_is_the_same_404_as_an_unknown_order(
    django_capture_on_commit_callbacks, tamper
):
    order = _placed(django_capture_on_commit_callbacks)
    phone = Client()
    url = order.get_absolute_url()
    assert phone.get(url, {"key": tamper(_token(_link(order)))}).status_code == 404
    assert phone.get(url).status_code == 404
    assert phone.get(reverse("checkout:pay", args=[order.number])).status_code == 404


def test_a_key_signed_for_another_order_number_cannot_be_moved_onto_this_one(
    django_capture_on_commit_callbacks,
):
    order = _placed(django_capture_on_commit_callbacks)
    forged = guest_order_token(number="NOPE").replace("NOPE", order.number, 1)
    assert Client().get(order.get_absolute_url(), {"key": forged}).status_code == 404


def test_an_expired_email_link_sends_the_guest_to_the_order_lookup(
    django_capture_on_commit_callbacks, settings
):
    settings.GUEST_ORDER_LINK_MAX_AGE_DAYS = 30
    order = _placed(django_capture_on_commit_callbacks)
    path = _path(_link(order))

    with time_machine.travel(timezone.now() + timedelta(days=29), tick=False):
        assert Client().get(path).status_code == 302  # still good just before it expires

    phone = Client()
    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        response = phone.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("orders:lookup"))
        assert [str(m) for m in get_messages(response.wsgi_request)] == [EXPIRED]
        lookup = phone.get(response["Location"])
        assert lookup.status_code == 200
        assert lookup.context["form"]["number"].value() == order.number
        assert phone.get(order.get_absolute_url()).status_code == 404


def test_an_expired_link_still_opens_the_order_in_the_browser_it_already_opened_in(
    django_capture_on_commit_callbacks, settings
):
    # One day, so the link expires well before the browser's session does.
    settings.GUEST_ORDER_LINK_MAX_AGE_DAYS = 1
    order = _placed(django_capture_on_commit_callbacks)
    path = _path(_link(order))
    phone = Client()
    phone.get(path)
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        response = phone.get(path, follow=True)
    assert response.status_code == 200
    assert response.context["order"] == order


def test_a_members_email_has_the_plain_link_without_a_key(
    django_capture_on_commit_callbacks, shopper
):
    order = _placed(django_capture_on_commit_callbacks, user=shopper)
    link = _link(order)
    assert urlsplit(link).query == ""
    assert "key=" not in mail.outbox[0].alternatives[0][0]
    assert "any browser" not in mail.outbox[0].body


def test_a_guest_link_does_not_open_an_order_that_now_belongs_to_a_member(
    django_capture_on_commit_callbacks, shopper
):
    order = _placed(django_capture_on_commit_callbacks)
    path = _path(_link(order))
    Order.objects.filter(pk=order.pk).update(user=shopper)
    phone = Client()
    assert phone.get(path, follow=True).status_code == 404
