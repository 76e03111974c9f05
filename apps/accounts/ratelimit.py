"""Failed sign-in limits, per account and per client address, kept in the cache."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from apps.accounts.models import normalize_email

_GROUP = "accounts.login"


def _usages(
    request: HttpRequest, *, account: str | None, increment: bool
) -> list[dict[str, Any] | None]:
    # The pages and the admin post a form whose `username` is the e-mail; the API reads its
    # JSON body itself and names the account. Either way one account is one counter.
    account_key = normalize_email(request.POST.get("username", "") if account is None else account)
    # django-ratelimit hashes the key as UTF-8: a lone surrogate (valid JSON, never a valid
    # address) would raise there. As "?" it is still one account's counter.
    account_key = account_key.encode("utf-8", "replace").decode()
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
            key=lambda group, request: account_key,
            rate=settings.LOGIN_RATE_PER_ACCOUNT,
            method="POST",
            increment=increment,
        ),
    ]


def login_blocked_for(request: HttpRequest, *, account: str | None = None) -> int:
    """Seconds until this address or account may try again; 0 when not blocked.

    `account` is the e-mail tried; by default, the `username` field of the posted form.
    """
    waits = [
        max(int(usage["time_left"]), 1)
        for usage in _usages(request, account=account, increment=False)
        if usage is not None and usage["count"] >= usage["limit"]
    ]
    return max(waits, default=0)


def login_failure_record(request: HttpRequest, *, account: str | None = None) -> None:
    """Counts one failed sign-in against the address and the account (as above)."""
    _usages(request, account=account, increment=True)
