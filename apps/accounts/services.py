"""Writes for accounts: sign-up, profile, address book, passwords, API tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from knox.models import AuthToken

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


class PasswordIncorrect(ApplicationError):
    """The current password given to change it is not the account's."""

    code = "password_incorrect"


class PasswordRejected(ApplicationError):
    """The new password fails one of AUTH_PASSWORD_VALIDATORS."""

    # The code of any other invalid input: to a client it is a field to correct.
    code = "invalid"


class PasswordResetLinkInvalid(ApplicationError):
    """The reset link is malformed, used already, expired, or for no active account."""

    code = "password_reset_link_invalid"


def user_signup(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """Creates a customer account; the e-mail is compared case-insensitively."""
    email = normalize_email(email)
    taken = EmailTaken(
        "An account with this e-mail address already exists.",
        fields={"email": ["An account with this e-mail address already exists."]},
    )
    if User.objects.filter(email__iexact=email).exists():
        raise taken
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email, password=password, first_name=first_name, last_name=last_name
            )
    except IntegrityError as error:
        # Two sign-ups with one address at the same moment: the unique index decides,
        # and the loser is told as if it had come second.
        raise taken from error


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


def password_validate(*, password: str, user: User | None = None, field: str) -> None:
    """Runs AUTH_PASSWORD_VALIDATORS; their messages are reported under `field`."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise PasswordRejected(error.messages[0], fields={field: list(error.messages)}) from None


@transaction.atomic
def password_change(
    *, user: User, current_password: str, new_password: str, keep_token: AuthToken | None = None
) -> User:
    """Sets a new password once the current one is confirmed; revokes the other API tokens.

    As with the page, where the new password hash logs every other session out: whoever
    else holds a token of this account loses it. `keep_token` (the one the request came
    with) keeps working, so the device that changed the password stays signed in.
    """
    if not user.check_password(current_password):
        raise PasswordIncorrect(
            "Your current password was entered incorrectly.",
            fields={"current_password": ["Your current password was entered incorrectly."]},
        )
    password_validate(password=new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    others = AuthToken.objects.filter(user=user)
    if keep_token is not None:
        others = others.exclude(digest=keep_token.digest)
    others.delete()
    return user


@transaction.atomic
def password_reset_confirm(*, uidb64: str, token: str, new_password: str) -> User:
    """Sets the password chosen through an e-mailed reset link; revokes every API token.

    The link is checked by Django's token generator, as on the page: it stops working once
    the password (or last login) changes, so it works once.
    """
    user = _password_reset_user(uidb64)
    if user is None or not default_token_generator.check_token(user, token):
        raise PasswordResetLinkInvalid(
            "This password reset link is invalid or has expired. Please request a new one."
        )
    password_validate(password=new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    AuthToken.objects.filter(user=user).delete()
    return user


def _password_reset_user(uidb64: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


@transaction.atomic
def token_create(*, user: User) -> tuple[AuthToken, str]:
    """A new API token (its secret, shown once); past API_TOKEN_LIMIT_PER_USER, the oldest go.

    knox's own TOKEN_LIMIT_PER_USER refuses the new sign-in instead (403), which would lock
    a user out of a new phone for a token left on a lost one. The user's row is locked so
    that concurrent sign-ins take turns: each one counts the tokens the other committed.
    """
    User.objects.select_for_update().filter(pk=user.pk).exists()
    instance, secret = AuthToken.objects.create(user=user)
    stale = list(
        AuthToken.objects.filter(user=user)
        .order_by("-created", "-digest")
        .values_list("digest", flat=True)[_token_limit() :]
    )
    if stale:
        AuthToken.objects.filter(digest__in=stale).delete()
    return instance, secret


def _token_limit() -> int:
    # At least one: the token just made must survive its own sign-in.
    return max(int(settings.API_TOKEN_LIMIT_PER_USER), 1)


def token_revoke(*, token: AuthToken) -> None:
    """The token stops working at once."""
    token.delete()
