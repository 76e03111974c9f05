"""The catalog's cache namespace: what the services bump and the pages key on."""

from __future__ import annotations

from django.db import transaction

from apps.core.cache import digest, namespace_bump, namespace_version

NAMESPACE = "catalog"


def catalog_version() -> int:
    return namespace_version(NAMESPACE)


def catalog_key(kind: str, *parts: object) -> str:
    """A key for `kind` (e.g. "listing") that changes whenever the catalog does."""
    return f"{NAMESPACE}:{catalog_version()}:{kind}:{digest(*parts)}"


def fragment_key(*values: object) -> str:
    """The key of a `{% cachedfragment %}` with these values (views prefetch it)."""
    return catalog_key("fragment", *values)


def catalog_changed() -> None:
    """Called by every write that changes what shoppers see (products, prices, stock state).

    The bump happens after commit: bumped earlier, a reader could rebuild an entry from
    the not-yet-committed old rows under the new version and keep it for an hour.
    """
    transaction.on_commit(lambda: namespace_bump(NAMESPACE), robust=True)
