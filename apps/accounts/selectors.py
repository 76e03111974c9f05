"""Reads for the accounts pages."""

from __future__ import annotations

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import QuerySet

from apps.accounts.models import Address, User


def address_list(*, user: User) -> QuerySet[Address]:
    """The user's own addresses, default first."""
    return Address.objects.filter(user=user)


def active_users_for_email(*, email: str) -> QuerySet[User]:
    """Active users with a usable password who sign in with `email`."""
    return User.objects.filter(email__iexact=email.strip(), is_active=True).exclude(
        password__startswith=UNUSABLE_PASSWORD_PREFIX
    )
