"""The served application reads what a refused request's body still had to send."""

from __future__ import annotations

import io

from apps.core.wsgi import DRAIN_LIMIT, draining_unread_body


class _Body(io.BytesIO):
    """wsgi.input as gunicorn gives it: reads stop at the declared length."""


def _app(read: int = 0):
    def app(environ, start_response):
        environ["wsgi.input"].read(read)
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return _Answer([b"refused"])

    return app


class _Answer(list):
    closed = False

    def close(self):
        self.closed = True


def _call(app, body: bytes, length: int | None = None):
    declared = len(body) if length is None else length
    environ = {"wsgi.input": _Body(body), "CONTENT_LENGTH": str(declared)}
    answer = draining_unread_body(app)(environ, lambda status, headers: None)
    return environ["wsgi.input"], answer


def test_closing_the_answer_reads_the_body_the_app_left_unread():
    body, answer = _call(_app(), b"x" * 300_000)
    assert b"".join(answer) == b"refused"
    assert body.tell() == 0  # nothing read while the answer is written
    answer.close()
    assert body.tell() == 300_000
    assert answer._answer.closed  # the app's own answer is closed too


def test_only_what_the_app_did_not_read_is_read():
    body, answer = _call(_app(read=1_000), b"x" * 5_000)
    answer.close()
    assert body.tell() == 5_000


def test_a_request_without_a_body_gets_the_apps_answer_itself():
    app = _app()
    _, answer = _call(app, b"", length=0)
    assert isinstance(answer, _Answer)


def test_a_body_declared_past_the_limit_is_left_unread():
    body, answer = _call(_app(), b"x" * 100, length=DRAIN_LIMIT + 1)
    assert isinstance(answer, _Answer)
    answer.close()
    assert body.tell() == 0


def test_a_client_that_hangs_up_mid_body_ends_the_reading_quietly():
    class HungUp(_Body):
        def read(self, size=-1):
            raise ConnectionResetError

    environ = {"wsgi.input": HungUp(b""), "CONTENT_LENGTH": "10"}
    answer = draining_unread_body(lambda env, start: _Answer([b"x"]))(environ, lambda *a: None)
    answer.close()  # no exception
    assert answer._answer.closed
