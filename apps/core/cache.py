"""Versioned cache namespaces, with stampede protection and hit/miss counters.

A namespace ("catalog") has a version number kept in the cache. Keys embed it, so a
change anywhere in the namespace is one `bump` (an atomic INCR): the next read builds new
keys and the old entries simply age out. Nothing is scanned or deleted, and no reader
waits for a TTL to see a change.

Within one request (`request_scope`, entered by `RequestScopeMiddleware`) each namespace
version is read once, entries can be fetched together in one round trip (`prefetch`),
and a value already built or read is not built or read again. The scope lives only for
the request; nothing in it is shared with another request.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from apps.core.breaker import RedisUnavailable
from apps.core.metrics import cache_lookup

logger = logging.getLogger(__name__)

# The catalog's namespace, named here so that apps below the catalog (sales) can bump it.
CATALOG_NAMESPACE = "catalog"

T = TypeVar("T")

# Counted per process (tests read them directly) and exported to Prometheus per
# namespace and kind of entry (apps.core.metrics).
STATS: Counter[str] = Counter()

# How long one process may hold the right to rebuild a missing entry, and how long the
# others wait for it before rebuilding themselves (they never wait longer than this).
LOCK_SECONDS = 10
WAIT_SECONDS = 0.5
_POLL_SECONDS = 0.02


# The current request's memo: namespace versions, prefetched entries, built values.
_scope: ContextVar[dict[str, Any] | None] = ContextVar("cache_request_scope", default=None)
# A prefetched key that was not in the cache (so `cached` skips a second GET for it).
_ABSENT = object()


@contextmanager
def request_scope() -> Iterator[None]:
    """Memoise versions and entries for the duration of one request (or one task)."""
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)


def enabled() -> bool:
    """CATALOG_CACHE=false switches the cache off (the benchmark's cold runs, most tests)."""
    return bool(settings.CATALOG_CACHE)


def digest(*parts: object) -> str:
    """A short stable hash of the parts, for keys and ETags."""
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=12).hexdigest()


def namespace_version(namespace: str) -> int:
    """The namespace's current version; 0 when the cache is unreachable.

    Read once per request scope, so every key and ETag of one response agrees on it.
    """
    key = f"ns:{namespace}"
    scope = _scope.get()
    if scope is not None and key in scope:
        return cast(int, scope[key])
    version = cache.get(key)
    if version is None:
        # Start from the clock, not from 1: if the version key is ever evicted, the new
        # one cannot collide with versions whose entries may still be in the cache.
        cache.add(key, int(time.time() * 1000), timeout=None)
        version = cache.get(key)
    version = int(version or 0)
    if scope is not None:
        scope[key] = version
    return version


def namespace_bump(namespace: str) -> None:
    """Invalidates every key of the namespace at once."""
    key = f"ns:{namespace}"
    scope = _scope.get()
    if scope is not None:
        scope.pop(key, None)
    try:
        cache.incr(key)
    except ValueError:  # no version yet: the next read starts one
        cache.add(key, int(time.time() * 1000), timeout=None)


# A namespace's version and the entries under it, in one round trip: the script reads the
# version, builds the versioned keys from it and reads them. (Keys built inside a script
# are fine on one Redis server; Redis Cluster would need them declared.)
_VERSIONED_GET = """
local version = redis.call('GET', KEYS[1])
if not version then return {false} end
local found = {version}
for i = 2, #ARGV do
  found[i] = redis.call('GET', ARGV[1] .. version .. ':' .. ARGV[i])
end
return found
"""
_scripts: dict[int, Any] = {}


def namespace_prefetch(namespace: str, suffixes: list[str]) -> None:
    """Reads the namespace's version and the entries `namespace:<version>:<suffix>` a
    response is about to need, in one round trip on Redis (two elsewhere).

    Warm pages need nothing else from the cache; `namespace_version` and `cached` then
    answer from the request scope. Outside a scope it does nothing.
    """
    scope = _scope.get()
    if scope is None:
        return
    version_key = f"ns:{namespace}"
    if version_key not in scope and enabled():
        found = _versioned_get(version_key, f"{namespace}:", suffixes)
        if found is not None:
            version, values = found
            scope[version_key] = version
            for suffix, value in zip(suffixes, values, strict=True):
                scope[f"{namespace}:{version}:{suffix}"] = _ABSENT if value is None else value
            return
    version = namespace_version(namespace)
    prefetch(f"{namespace}:{version}:{suffix}" for suffix in suffixes)


def _versioned_get(
    version_key: str, key_start: str, suffixes: list[str]
) -> tuple[int, list[Any]] | None:
    """(version, values) through the script; None without django-redis, without a version
    yet, or when Redis fails (the caller then asks the usual way, which copes with all
    three: a failure here must never be taken for "version 0")."""
    backend = getattr(cache, "client", None)
    if backend is None or not hasattr(backend, "get_client"):
        return None
    try:
        client = backend.get_client(write=False)
        script = _scripts.get(id(client))
        # An id outlives its client: a new client (settings changed, another server) may
        # get the id of one gone, and must not send the script through that one's pool.
        if script is None or script.registered_client is not client:
            script = _scripts[id(client)] = client.register_script(_VERSIONED_GET)
        raw = script(
            keys=[backend.make_key(version_key)],
            args=[backend.make_key(key_start), *suffixes],
        )
    except RedisUnavailable:  # the breaker is open and logged so; no warning per request
        return None
    except (RedisError, OSError):
        logger.warning("versioned cache read failed", exc_info=True)
        return None
    if not raw or raw[0] is None:
        return None
    values = [None if value is None else backend.decode(value) for value in raw[1:]]
    values += [None] * (len(suffixes) - len(values))
    return int(raw[0]), values


def prefetch(keys: Iterable[str]) -> None:
    """Reads the entries a response is about to need in one round trip (GET of many keys).

    `cached` then answers them from the request scope; outside a scope it does nothing.
    """
    scope = _scope.get()
    if scope is None or not enabled():
        return
    wanted = [key for key in keys if key not in scope]
    if not wanted:
        return
    found = cache.get_many(wanted)
    for key in wanted:
        scope[key] = found.get(key, _ABSENT)


def cached(key: str, compute: Callable[[], T], *, timeout: int | None = None) -> T:
    """The cached value of `key`, computing and storing it on a miss.

    Only one process rebuilds a missing entry (a short lock taken with ADD); the others
    wait up to WAIT_SECONDS for it, then compute it themselves rather than stall. When the
    cache is unreachable (django-redis is configured to ignore its errors, returning
    nothing), values are computed from the database on every request.

    In a request scope a value is looked up or built once per request, also with the
    cache switched off (the page asks for the visible categories three times; the
    database answers once).
    """
    scope = _scope.get()
    if scope is None:
        return _cached(key, compute, timeout)
    value = scope.get(key, _ABSENT)
    if value is not _ABSENT and value is not None:
        if enabled():
            _count("hit", key)
        return cast(T, value)
    # Prefetched and absent: straight to the rebuild, no second GET.
    value = _build(key, compute, timeout) if key in scope else _cached(key, compute, timeout)
    scope[key] = value
    return value


def _cached(key: str, compute: Callable[[], T], timeout: int | None) -> T:
    if not enabled():
        return compute()
    value = cache.get(key)
    if value is not None:
        _count("hit", key)
        return cast(T, value)
    return _build(key, compute, timeout)


def _build(key: str, compute: Callable[[], T], timeout: int | None) -> T:
    """A miss: rebuild under the stampede lock (or wait for whoever holds it)."""
    if not enabled():
        return compute()
    _count("miss", key)
    timeout = settings.CATALOG_CACHE_TIMEOUT if timeout is None else timeout
    lock = f"lock:{key}"
    acquired = cache.add(lock, 1, timeout=LOCK_SECONDS)
    if acquired is None:  # the cache is down: don't wait for anybody
        _count("unavailable", key)
        return compute()
    if not acquired:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
            value = cache.get(key)
            if value is not None:
                _count("waited", key)
                return value
        _count("lock_timeout", key)
        return compute()
    try:
        value = compute()
        cache.set(key, value, timeout=timeout)
        return value
    finally:
        cache.delete(lock)


def _count(outcome: str, key: str) -> None:
    STATS[outcome] += 1
    cache_lookup(key, outcome)


def stats() -> dict[str, Any]:
    """Hit/miss counters of this process, and the hit ratio."""
    lookups = STATS["hit"] + STATS["miss"]
    return {**STATS, "hit_ratio": STATS["hit"] / lookups if lookups else None}
