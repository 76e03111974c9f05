"""Failed sign-in limits, per account and per client address, kept in the cache."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from apps.accounts.models import normalize_email

_GROUP = "accounts.login"


def _account_key(group: str, request: HttpRequest) -> str:
    return normalize_email(request.POST.get("username", ""))


def _usages(request: HttpRequest, *, increment: bool) -> list[dict[str, Any] | None]:
    return [
        get_usage(
            request,
            group=f"{_GROUP}.ip",
            key="ip",
            rate=settings.LOGIN_RATE_PER_IP,
            method="POST",
            increment=increment,
        ),
        get_usage(
            request,
            group=f"{_GROUP}.account",
            key=_account_key,
            rate=settings.LOGIN_RATE_PER_ACCOUNT,
            method="POST",
            increment=increment,
        ),
    ]


def login_blocked_for(request: HttpRequest) -> int:
    """Seconds until this address or account may try again; 0 when not blocked."""
    waits = [
        max(int(usage["time_left"]), 1)
        for usage in _usages(request, increment=False)
        if usage is not None and usage["count"] >= usage["limit"]
    ]
    return max(waits, default=0)


def login_failure_record(request: HttpRequest) -> None:
    """Counts one failed sign-in against the address and the account."""
    _usages(request, increment=True)
