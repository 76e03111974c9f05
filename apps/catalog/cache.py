"""The catalog's cache namespace: what the services bump and the pages key on."""

from __future__ import annotations

from django.db import transaction

from apps.core.cache import (
    CATALOG_NAMESPACE,
    digest,
    namespace_bump,
    namespace_prefetch,
    namespace_version,
)
from apps.sales.selectors import sale_schedule_phase

NAMESPACE = CATALOG_NAMESPACE

# Kinds that show no price and no sale: their entries outlive a sale's start and end.
# (The visible categories' entry is named once, at import, before any clock is read.)
SALE_BLIND = frozenset({"visible-categories", "category-tree", "category", "count"})


def catalog_version() -> int:
    return namespace_version(NAMESPACE)


def catalog_entry(kind: str, *parts: object) -> str:
    """What names an entry of `kind` (e.g. "count") within a catalog version.

    Entries that can show a sale also name the sale phase (which sales are live, which
    are to come), so they switch at a sale's first and last second although nothing
    was written then. The phase comes from the clock and a schedule each process
    refreshes every few seconds: a warm page asks nothing more for it.
    """
    if kind in SALE_BLIND:
        return f"{kind}:{digest(*parts)}"
    return f"{kind}:{digest(*parts, sale_schedule_phase())}"


def catalog_key(kind: str, *parts: object) -> str:
    """A key for `kind` (e.g. "listing") that changes whenever the catalog does."""
    return f"{NAMESPACE}:{catalog_version()}:{catalog_entry(kind, *parts)}"


def fragment_entry(*values: object) -> str:
    """The entry of a `{% cachedfragment %}` with these values (views prefetch it)."""
    return catalog_entry("fragment", *values)


def fragment_key(*values: object) -> str:
    return catalog_key("fragment", *values)


def catalog_prefetch(entries: list[str]) -> None:
    """The catalog version and these entries, in one round trip (see namespace_prefetch)."""
    namespace_prefetch(NAMESPACE, entries)


def catalog_changed() -> None:
    """Called by every write that changes what shoppers see (products, prices, stock state).

    The bump happens after commit: bumped earlier, a reader could rebuild an entry from
    the not-yet-committed old rows under the new version and keep it for an hour.
    """
    transaction.on_commit(lambda: namespace_bump(NAMESPACE), robust=True)
