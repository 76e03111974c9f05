"""What makes a page personal to one visitor, composed from the parts listed in settings.

A page cached by the catalog (its ETag) must never match another visitor's page, nor a
page that showed a one-time message. Which state makes a page personal is known to the
apps that keep that state (the cart knows its cookie); the catalog only asks this module,
so it depends on none of them. `settings.VISITOR_STATE` lists the parts in one place, as
context processors are listed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

# A part returns its share of the visitor's state, or None when the response must not be
# reused at all (it shows something meant to be seen once).
StatePart = Callable[[HttpRequest], str | None]


@cache
def _parts() -> tuple[StatePart, ...]:
    return tuple(import_string(path) for path in settings.VISITOR_STATE)


def visitor_state(request: HttpRequest) -> list[str] | None:
    """Every part of this visitor's state that a page shows; None if it must not be reused."""
    state = []
    for part in _parts():
        value = part(request)
        if value is None:
            return None
        state.append(value)
    return state


def pending_messages(request: HttpRequest) -> str | None:
    """A flash message is shown once: a page carrying one is never reused."""
    if "messages" in request.COOKIES or request.session.get("_messages"):
        return None
    return ""


def signed_in_user(request: HttpRequest) -> str:
    """The header shows who is signed in."""
    return str(getattr(request.user, "pk", None))


def csrf_cookie(request: HttpRequest) -> str:
    """Forms carry the visitor's CSRF token."""
    return request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
