"""Circuit breakers: a hung or dead Redis, or Celery broker, is soon asked nothing at all.

A hung Redis (accepting connections, answering nothing) costs every command its socket
timeout (REDIS_TIMEOUT, half a second), and a page sends several. After
REDIS_BREAKER_FAILURES failures in a row the server's breaker opens: for
REDIS_BREAKER_RESET_SECONDS every command raises `RedisUnavailable` at once, without a
socket, and callers fail open exactly as they do when Redis is down (cache misses served
from the database, rate limits let requests through, the waiting room admits). Then the
next command is let through as a probe (half-open): an answer closes the breaker, a
failure opens it for another period.

Every Redis use goes through one place, `BreakerRedis` (django-redis's REDIS_CLIENT_CLASS):
the cache client's commands, `get_redis_connection()`, scripts and pipelines alike, so
the cache, sessions, throttles, django-ratelimit and the waiting room share the breaker of
their server. Publishing to the broker has a breaker of its own (apps.core.queue), since
its failures cost more and mean something else.

The client of redis-py is wrapped, not django-redis's CLIENT_CLASS: that one would need
each of its methods listed, and would count nested calls twice (`set` calls `has_key` and
`delete`); the client sees every round trip exactly once.

State is kept per process, in memory: each web or Celery worker pays at most N timeouts
before it stops asking, and probes on its own. pybreaker holds a breaker's lock for the
length of each call (danielfm/pybreaker#55), so one process sends its commands to a server
one at a time: nothing waits with gunicorn's one thread per worker and Celery's forked
workers; with GUNICORN_THREADS above 1 commands queue for well under a millisecond each,
and a hung server costs the process N timeouts in all, not N per thread.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from django.conf import settings
from kombu.exceptions import OperationalError
from pybreaker import CircuitBreaker, CircuitBreakerError, CircuitBreakerListener
from pybreaker import CircuitBreakerState as State
from redis import Redis
from redis.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Failures that say the server is unreachable. Anything else (a ResponseError, a missing
# key, a task's own error) is an answer, so it counts as a success: pybreaker resets its
# count on an excluded error.
_REDIS_OUTAGES: tuple[type[BaseException], ...] = (RedisConnectionError, RedisTimeoutError, OSError)
# OSError: the embedded filesystem broker's folder missing or unwritable.
_BROKER_OUTAGES: tuple[type[BaseException], ...] = (OperationalError, OSError)

# One breaker per server and process, by name. Tests read and clear it.
BREAKERS: dict[str, CircuitBreaker] = {}
_create_lock = threading.Lock()


class RedisUnavailable(RedisConnectionError):
    """Raised instead of asking Redis while its breaker is open.

    A ConnectionError, so that every caller's existing handling of a Redis outage applies
    (django-redis's IGNORE_EXCEPTIONS, `except RedisError` around scripts).
    """


class _LogTransitions(CircuitBreakerListener):
    """One log line per change of state, not one per short-circuited call."""

    def state_change(self, cb: CircuitBreaker, old_state: State | None, new_state: State) -> None:
        if new_state.name == "open":
            logger.warning("Circuit %s open: not asking it for %ss", cb.name, cb.reset_timeout)
        elif new_state.name == "closed":
            logger.warning("Circuit %s closed: answering again", cb.name)


def redis_breaker(server: str) -> CircuitBreaker:
    """The breaker of the Redis server `server` ("host:port/db") in this process."""
    return _breaker(
        f"redis {server}",
        fail_max=settings.REDIS_BREAKER_FAILURES,
        reset_seconds=settings.REDIS_BREAKER_RESET_SECONDS,
        outages=_REDIS_OUTAGES,
    )


def broker_breaker(url: str) -> CircuitBreaker:
    """The breaker of publishing to the Celery broker at `url` in this process."""
    return _breaker(
        f"broker {without_credentials(url)}",
        fail_max=settings.BROKER_BREAKER_FAILURES,
        reset_seconds=settings.BROKER_BREAKER_RESET_SECONDS,
        outages=_BROKER_OUTAGES,
    )


def _breaker(
    name: str, *, fail_max: int, reset_seconds: float, outages: tuple[type[BaseException], ...]
) -> CircuitBreaker:
    found = BREAKERS.get(name)
    if found is not None:
        return found
    with _create_lock:
        if name not in BREAKERS:
            BREAKERS[name] = CircuitBreaker(
                fail_max=fail_max,
                reset_timeout=reset_seconds,
                exclude=[lambda error: not isinstance(error, outages)],
                listeners=[_LogTransitions()],
                name=name,
                # The error that tripped it propagates, so callers see what they know.
                throw_new_error_on_trip=False,
            )
        return BREAKERS[name]


def without_credentials(url: str) -> str:
    """The URL with any user and password taken out (breaker names end up in logs)."""
    return re.sub(r"//[^/@]*@", "//", url)


class _Guarded:
    """Sends commands of a redis-py client through the breaker of its server."""

    connection_pool: Any

    @property
    def breaker(self) -> CircuitBreaker:
        options = self.connection_pool.connection_kwargs
        where = options.get("path") or f"{options.get('host')}:{options.get('port')}"
        return redis_breaker(f"{where}/{options.get('db', 0)}")


def _through(cb: CircuitBreaker, send: Any, *args: Any, **kwargs: Any) -> Any:
    """send(*args, **kwargs) through `cb`; RedisUnavailable at once while it is open."""
    try:
        return cb.call(send, *args, **kwargs)
    except CircuitBreakerError as error:
        raise RedisUnavailable(f"circuit {cb.name} is open") from error


class BreakerRedis(_Guarded, Redis):
    """redis-py's client, whose commands (scripts too) and pipelines pass the breaker."""

    def execute_command(self, *args: Any, **options: Any) -> Any:
        return _through(self.breaker, super().execute_command, *args, **options)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline:
        return BreakerPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )


class BreakerPipeline(_Guarded, Pipeline):
    """A pipeline sent as one call through the breaker (one round trip, one outcome)."""

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        if not self.command_stack:  # nothing to send: no outcome to count either way
            return super().execute(raise_on_error)
        return _through(self.breaker, super().execute, raise_on_error)
