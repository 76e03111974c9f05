"""Reads for the accounts pages and API."""

from __future__ import annotations

import re

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken

from apps.accounts.models import Address, User

# A token is named by the start of its digest (the hash knox stores), never by the secret
# or knox's `token_key`, which is the secret's first characters: 16 hex digits are 64 bits,
# plenty to tell a user's few tokens apart.
TOKEN_ID_LENGTH = 16
TOKEN_ID_PATTERN = rf"[0-9a-f]{{{TOKEN_ID_LENGTH}}}"


def address_list(*, user: User) -> QuerySet[Address]:
    """The user's own addresses, default first."""
    return Address.objects.filter(user=user)


def active_users_for_email(*, email: str) -> QuerySet[User]:
    """Active users with a usable password who sign in with `email`."""
    return User.objects.filter(email__iexact=email.strip(), is_active=True).exclude(
        password__startswith=UNUSABLE_PASSWORD_PREFIX
    )


def token_id(token: AuthToken) -> str:
    """The short public name of a token, for listing and revoking it."""
    return str(token.digest[:TOKEN_ID_LENGTH])


def token_list(*, user: User) -> QuerySet[AuthToken]:
    """The user's tokens that still work, newest first (expired ones await the purge)."""
    return (
        AuthToken.objects.filter(user=user)
        .filter(Q(expiry__isnull=True) | Q(expiry__gt=timezone.now()))
        .only("digest", "created", "expiry", "user_id")
        .order_by("-created", "-digest")
    )


def token_for_user(*, user: User, token_id: str) -> AuthToken | None:
    """One of the user's working tokens by its short id; None for anyone else's."""
    if not re.fullmatch(TOKEN_ID_PATTERN, token_id):
        return None
    return token_list(user=user).filter(digest__startswith=token_id).first()
