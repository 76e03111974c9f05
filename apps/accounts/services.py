"""Writes for accounts: sign-up, profile, address book, password reset requests."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.accounts.models import Address, User, normalize_email
from apps.accounts.selectors import active_users_for_email
from apps.core.errors import ApplicationError
from apps.core.queue import enqueue_on_commit

ADDRESS_FIELDS = (
    "full_name",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
)


class EmailTaken(ApplicationError):
    """Another account already signs in with this e-mail address."""

    code = "email_taken"


def user_signup(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """Creates a customer account; the e-mail is compared case-insensitively."""
    email = normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(
            "An account with this e-mail address already exists.",
            fields={"email": ["An account with this e-mail address already exists."]},
        )
    return User.objects.create_user(
        email=email, password=password, first_name=first_name, last_name=last_name
    )


def profile_update(*, user: User, first_name: str, last_name: str) -> User:
    """Changes the names shown on orders and e-mails."""
    user.first_name = first_name
    user.last_name = last_name
    user.save(update_fields=["first_name", "last_name"])
    return user


@transaction.atomic
def address_create(*, user: User, data: dict[str, Any], make_default: bool = False) -> Address:
    """Adds an address; the first one a user saves becomes the default."""
    address = Address(user=user, **{f: data[f] for f in ADDRESS_FIELDS if f in data})
    first = not Address.objects.filter(user=user).exists()
    address.save()
    if make_default or first:
        address_set_default(address=address)
    return address


@transaction.atomic
def address_update(
    *, address: Address, data: dict[str, Any], make_default: bool = False
) -> Address:
    """Edits an address in place."""
    for field in ADDRESS_FIELDS:
        if field in data:
            setattr(address, field, data[field])
    address.save()
    if make_default and not address.is_default:
        address_set_default(address=address)
    return address


@transaction.atomic
def address_set_default(*, address: Address) -> Address:
    """Makes `address` the user's default, clearing the previous one first.

    The partial unique constraint allows one default per user, so the old default is
    cleared before the new one is set, inside one transaction.
    """
    Address.objects.filter(user_id=address.user_id, is_default=True).exclude(pk=address.pk).update(
        is_default=False
    )
    Address.objects.filter(pk=address.pk).update(is_default=True)
    address.is_default = True
    return address


@transaction.atomic
def address_delete(*, address: Address) -> None:
    """Removes an address; if it was the default, the newest remaining one takes over."""
    user_id, was_default = address.user_id, address.is_default
    address.delete()
    if was_default:
        successor = Address.objects.filter(user_id=user_id).order_by("-created_at", "-id").first()
        if successor is not None:
            address_set_default(address=successor)


def password_reset_request(*, email: str) -> None:
    """Sends a reset link to every active account for `email`, from a Celery task.

    Says nothing about whether the address is known: the page looks the same either way,
    so it cannot be used to find out who shops here.
    """
    for user_id in active_users_for_email(email=email).values_list("pk", flat=True):
        enqueue_on_commit("apps.accounts.tasks.send_password_reset_email", user_id)
