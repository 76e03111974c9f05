"""What the catalog does when a search finds nothing: asks the app above it, if any.

The search app (apps.search) counts such searches and works out "did you mean"; it reads
the catalog, so the catalog cannot import it. It registers its handler here when Django
starts (SearchConfig.ready), as settings.VISITOR_STATE lets the catalog ask the cart's
state without importing the cart. Without a handler a miss is just an empty page.
"""

from __future__ import annotations

from collections.abc import Callable

# Takes the phrase searched for; returns a phrase that would find products, or None.
MissHandler = Callable[[str], str | None]

_handler: list[MissHandler] = []


def on_search_miss(handler: MissHandler) -> None:
    """Makes `handler` the one the catalog calls for a search without results."""
    _handler[:] = [handler]


def search_missed(query: str) -> str | None:
    """Reports a search that found nothing; a phrase to offer instead, or None."""
    return _handler[0](query) if _handler else None
