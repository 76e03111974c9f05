"""The waiting room's page, and where a request carries its ticket."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from apps.waitingroom.rooms import Decision

# API clients send the ticket back in this header; browsers in the cookie below.
TICKET_HEADER = "Waiting-Room-Ticket"
TICKET_COOKIE = "waitingroom_ticket"


def ticket_from_request(request: HttpRequest) -> str | None:
    """The ticket the client presented: the header first (API), then the cookie (pages)."""
    return request.headers.get(TICKET_HEADER) or request.COOKIES.get(TICKET_COOKIE) or None


def wait_text(seconds: int | None) -> str:
    """A wait a shopper can read: "about 3 minutes"."""
    if seconds is None:
        return "We will let you in as soon as the sale has room."
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    return "about 1 minute" if minutes == 1 else f"about {minutes} minutes"


def waiting_room_response(
    request: HttpRequest, decision: Decision, *, title: str, retry_url: str
) -> HttpResponse:
    """The "you are in line" page for a decision that did not admit (200, never cached).

    It reloads `retry_url` after `decision.retry_after_seconds` by a meta refresh (no
    JavaScript needed); static/js/waitingroom.js shows the countdown. `retry_url` is the
    caller's own URL (the sale page), never one taken from the request.
    """
    response = render(
        request,
        "waitingroom/room.html",
        {
            "title": title,
            "decision": decision,
            "retry_url": retry_url,
            "refresh_seconds": decision.retry_after_seconds,
            "wait_text": wait_text(decision.estimated_wait_seconds),
        },
    )
    response.set_cookie(
        TICKET_COOKIE,
        decision.ticket,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    # A place in line is one visitor's: no shared cache or back button may replay it.
    add_never_cache_headers(response)
    return response
