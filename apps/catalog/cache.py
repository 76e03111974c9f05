"""The catalog's cache namespace: what the services bump and the pages key on."""

from __future__ import annotations

from django.db import transaction

from apps.core.cache import digest, namespace_bump, namespace_prefetch, namespace_version

NAMESPACE = "catalog"


def catalog_version() -> int:
    return namespace_version(NAMESPACE)


def catalog_entry(kind: str, *parts: object) -> str:
    """What names an entry of `kind` (e.g. "count") within a catalog version."""
    return f"{kind}:{digest(*parts)}"


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
