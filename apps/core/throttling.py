"""API throttles: a fixed-window counter per client in the default cache.

DRF's SimpleRateThrottle keeps a pickled list of request times per client and reads and
rewrites it (GET + SET) for every throttle of every request. These count instead: one
INCR of a key named after the current window (`throttle:user:42:60:29812345`), so the
common path is a single round trip, and concurrent requests cannot overwrite each
other's counts. The price is the fixed window's edge: a client may spend its limit at
the end of one window and again at the start of the next, up to twice the rate over a
short span. See docs/ARCHITECTURE.md (API).

django-ratelimit, already used for the HTML forms, counts the same way but asks the
cache twice per request (ADD, then INCR) and has no DRF throttle classes.

Works with django-redis (atomic INCR; an unreachable Redis answers None, at once while
its circuit breaker is open (apps/core/breaker.py), and the throttle lets the request
through: rate limits fail open) and with the embedded file cache (whose INCR is a read
and a write, so a burst across workers may lose a count).
"""

from __future__ import annotations

import functools
import re
import time
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

if TYPE_CHECKING:  # rest_framework.views imports the throttle classes named in the settings
    from rest_framework.request import Request
    from rest_framework.views import APIView

_UNITS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}
# DRF's rate format ("300/min", "30/m", "100000/s"), plus an optional count of units
# ("20/15m"): only the first letter of the unit counts, as in DRF.
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*$")


@functools.cache
def parse_rate(rate: str) -> tuple[int, int]:
    """Reads a rate as DRF writes it: "300/min" is (300 requests, 60 seconds)."""
    match = _RATE.match(rate)
    if match is None:
        raise ImproperlyConfigured(f"Invalid throttle rate {rate!r}: expected e.g. '300/min'.")
    requests, count, unit = match.groups()
    return int(requests), int(count or 1) * _UNITS[unit]


def window_hit(key: str, period: int) -> int | None:
    """Counts one request in the window `key`; the count so far, or None without a cache.

    INCR first: it succeeds for every request but the window's first. The first one
    ADDs the key with the window's lifetime; if another worker added it meanwhile, its
    ADD fails and it counts with INCR after all.
    """
    try:
        return cache.incr(key)
    except ValueError:  # no such key yet: the window's first request
        pass
    added = cache.add(key, 1, timeout=period)
    if added is None:  # django-redis with IGNORE_EXCEPTIONS: Redis is unreachable
        return None
    if added:
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # evicted between the ADD and the INCR: count this one as first
        return 1


class FixedWindowRateThrottle(BaseThrottle):
    """At most N requests per window per client; `scope` names the rate in the settings.

    Rates are looked up in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] on every request (DRF
    keeps the settings parsed), not copied onto the class at import as DRF's own do, so a
    settings override (in a test) takes effect.
    """

    scope: str | None = None

    def __init__(self) -> None:
        self._wait: float | None = None

    def get_ident_for(self, request: Request, view: APIView) -> str | None:
        """The client this request counts against; None: this throttle does not apply."""
        raise NotImplementedError

    def get_scope(self, view: APIView) -> str | None:
        return self.scope

    def allow_request(self, request: Request, view: APIView) -> bool:
        scope = self.get_scope(view)
        if scope is None:
            return True
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
        if rate is None:
            return True
        ident = self.get_ident_for(request, view)
        if ident is None:
            return True
        limit, period = parse_rate(rate)
        now = time.time()
        window = int(now // period)
        count = window_hit(f"throttle:{scope}:{ident}:{period}:{window}", period)
        if count is None or count <= limit:
            return True
        self._wait = (window + 1) * period - now
        return False

    def wait(self) -> float | None:
        """Seconds until the current window ends (DRF sends them as Retry-After)."""
        return self._wait


class AnonRateThrottle(FixedWindowRateThrottle):
    """Anonymous requests, per client address (`NUM_PROXIES` decides which one)."""

    scope = "anon"

    def get_ident_for(self, request: Request, view: APIView) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.get_ident(request)


class UserRateThrottle(FixedWindowRateThrottle):
    """Signed-in requests, per user whatever the address; anonymous ones are AnonRate's."""

    scope = "user"

    def get_ident_for(self, request: Request, view: APIView) -> str | None:
        if request.user and request.user.is_authenticated:
            return str(request.user.pk)
        return None


class ScopedRateThrottle(FixedWindowRateThrottle):
    """The view's `throttle_scope` rate, per user when signed in, else per address."""

    def get_scope(self, view: APIView) -> str | None:
        scope: Any = getattr(view, "throttle_scope", None)
        return str(scope) if scope else None

    def get_ident_for(self, request: Request, view: APIView) -> str | None:
        if request.user and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return self.get_ident(request)
