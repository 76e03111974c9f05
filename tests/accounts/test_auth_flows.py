"""Sign-up, sign-in, sign-out, password change and the password reset round trip."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from apps.accounts.models import User

pytestmark = pytest.mark.django_db


def test_signup_login_logout_round_trip(client, password):
    response = client.post(
        reverse("accounts:signup"),
        {"email": "New.Buyer@Example.com", "password1": password, "password2": password},
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "new.buyer@example.com"
    assert client.get(reverse("accounts:profile")).status_code == 200

    response = client.post(reverse("accounts:logout"), follow=True)
    assert "You have been logged out." in response.content.decode()
    assert client.get(reverse("accounts:profile")).status_code == 302

    response = client.post(
        reverse("accounts:login"), {"username": "NEW.buyer@example.com", "password": password}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    assert client.get(reverse("accounts:profile")).context["user"] == user


def test_signup_rejects_an_email_already_taken_in_any_case(client, shopper, password):
    response = client.post(
        reverse("accounts:signup"),
        {"email": "SHOPPER@example.com", "password1": password, "password2": password},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 1


def test_signup_rejects_mismatched_and_weak_passwords(client):
    response = client.post(
        reverse("accounts:signup"),
        {"email": "a@example.com", "password1": "123", "password2": "456"},
    )
    assert "do not match" in response.content.decode()
    response = client.post(
        reverse("accounts:signup"),
        {"email": "a@example.com", "password1": "12345678", "password2": "12345678"},
    )
    assert "too common" in response.content.decode()
    assert not User.objects.exists()


def test_login_with_a_wrong_password_shows_a_form_error(client, shopper):
    response = client.post(
        reverse("accounts:login"), {"username": shopper.email, "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()


def test_password_change_keeps_the_user_signed_in(client, shopper, password):
    client.force_login(shopper)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": password,
            "new_password1": "another-long-password-7",
            "new_password2": "another-long-password-7",
        },
    )
    assert response.status_code == 302
    shopper.refresh_from_db()
    assert shopper.check_password("another-long-password-7")
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_profile_update_saves_names(client, shopper):
    client.force_login(shopper)
    response = client.post(
        reverse("accounts:profile"), {"first_name": "Ada", "last_name": "Lovelace"}, follow=True
    )
    assert "Your profile has been saved." in response.content.decode()
    shopper.refresh_from_db()
    assert (shopper.first_name, shopper.last_name) == ("Ada", "Lovelace")


def _reset_link(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_password_reset_link_sent_by_the_task_works_once(
    client, shopper, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("accounts:password_reset"), {"email": "Shopper@Example.com"})
    assert response.status_code == 302
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [shopper.email]
    link = _reset_link(mail.outbox[0])

    response = client.get(link)
    assert response.status_code == 302  # Django swaps the token for a session-held one
    set_password_url = response["Location"]
    response = client.post(
        set_password_url,
        {"new_password1": "brand-new-password-9", "new_password2": "brand-new-password-9"},
    )
    assert response.status_code == 302
    shopper.refresh_from_db()
    assert shopper.check_password("brand-new-password-9")

    client.logout()
    response = client.get(link, follow=True)
    assert response.context["validlink"] is False
    assert "This link no longer works" in response.content.decode()


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []
