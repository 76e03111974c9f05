"""Reading the rest of a request body the application answered without reading.

Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE before reading it, and a view may
answer a refused request without touching its body. The client is still sending then. If
the server closes the connection with those bytes unread, the kernel answers them with a
reset, and a client still busy sending (Python's http.client, requests, many mobile
stacks) never reads the 400 that was already on its way: it sees "connection reset". So,
once the answer is written, what is left of a body of a declared length is read and thrown
away, up to DRAIN_LIMIT; gunicorn's own lingering close only covers 64 KB. A body declared
larger than that is left to the reset: reading it would hold the worker for nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

DRAIN_LIMIT = 10 * 1024 * 1024
_CHUNK = 64 * 1024

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def draining_unread_body(app: WSGIApp) -> WSGIApp:
    """`app`, reading after each answer what it left unread of the request's body."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        answer = app(environ, start_response)
        length = _declared_length(environ)
        if not 0 < length <= DRAIN_LIMIT:
            # Most requests: no body, so the answer goes out untouched (a file wrapper
            # stays one, for sendfile).
            return answer
        return _DrainOnClose(answer, environ["wsgi.input"], length)

    return application


def _declared_length(environ: dict[str, Any]) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class _DrainOnClose:
    """The answer's bytes as they were; closing it reads the body's rest, then closes."""

    def __init__(self, answer: Iterable[bytes], body: Any, length: int) -> None:
        self._answer = answer
        self._body = body
        self._length = length

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._answer)

    def close(self) -> None:
        try:
            close = getattr(self._answer, "close", None)
            if close is not None:
                close()
        finally:
            self._drain()

    def _drain(self) -> None:
        # The server's input stream stops at the declared length, so this reads only what
        # the app left; a client that hung up ends it with an OSError.
        left = self._length
        try:
            while left > 0:
                chunk = self._body.read(min(_CHUNK, left))
                if not chunk:
                    return
                left -= len(chunk)
        except OSError:
            return
