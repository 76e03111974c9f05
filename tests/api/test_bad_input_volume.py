"""More bad input at volume: what tests/api/test_bad_input.py does not send.

That module sends malformed and wrongly typed JSON bodies to every documented write
operation. This one reuses its operations, world and checks, and adds what a client can get
wrong elsewhere: strings PostgreSQL cannot store, form and multipart bodies, numbers out of
any column's range, wide (not deep) bodies, path parameters, headers and query strings.
Every answer must be a 4xx in the one error shape (or, where the body or header is one an
operation may accept, a success), never a 5xx; the API still serves afterwards.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api import test_bad_input as base
from tests.api.support import token_client

# What this module extends: the documented write operations, the world their bodies and
# paths point at, and the check of an answer.
JSON = base.JSON
World = base.World
_assert_still_serving = base._assert_still_serving
_operations = base._operations
_problem = base._problem
_resolve = base._resolve
_send = base._send
# Its fixtures, used here as there (the autouse one lets every body reach the parser).
world = base.world
caller = base.caller
_unthrottled = base._unthrottled

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Sign-in, sign-up and password change hash a password on every body that gets that
    # far; a few hundred PBKDF2 rounds would be most of this module's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=BoUnDaRy"

# Valid JSON, valid Python, but not storable: PostgreSQL text is UTF-8 without NUL, and a
# lone surrogate has no UTF-8 form at all.
UNSTORABLE = ["\ud800", "a\udfffb", "\ud83d", "nul\u0000inside"]
# Numbers no column holds: a bigint's range is ±9.2e18; 1e999 parses as infinity.
OUT_OF_RANGE = [2**63, -(2**63) - 1, 10**40, 1e999, -1e999, 1e-999]
# Wide, not deep: each is under DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB).
WIDE: dict[str, bytes] = {
    "a list of 200,000 numbers": json.dumps(list(range(200_000))).encode(),
    "an object of 50,000 keys": json.dumps({f"k{i}": i for i in range(50_000)}).encode(),
    "a key of a million characters": json.dumps({"x" * 1_000_000: 1}).encode(),
    "the same key 10,000 times": b"{" + b",".join([b'"quantity": 1'] * 10_000) + b"}",
    "a string of 2 MB": json.dumps({"code": "x" * 2_000_000}).encode(),
}
PATH_VALUES = ["0", "-1", "abc", "1.5", "99999999999999999999", "9" * 40, "%00", "%E2%80%AE"]
HEADERS: dict[str, dict[str, str]] = {
    "no token after the keyword": {"HTTP_AUTHORIZATION": "Token"},
    "two tokens": {"HTTP_AUTHORIZATION": "Token abc def"},
    "a token of 10 KB": {"HTTP_AUTHORIZATION": "Token " + "a" * 10_000},
    "a token with a NUL": {"HTTP_AUTHORIZATION": "Token abc\x00def"},
    "another scheme": {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"},
    "an empty Idempotency-Key": {"HTTP_IDEMPOTENCY_KEY": ""},
    "an Idempotency-Key of 10 KB": {"HTTP_IDEMPOTENCY_KEY": "k" * 10_000},
    "an Idempotency-Key of non-ASCII": {"HTTP_IDEMPOTENCY_KEY": "clé-été-\u00ff"},
    "an unknown charset": {"CONTENT_TYPE": "application/json; charset=no-such-charset"},
    "a UTF-16 charset": {"CONTENT_TYPE": "application/json; charset=utf-16"},
    "Accept: only XML": {"HTTP_ACCEPT": "application/xml"},
    "Accept: garbage": {"HTTP_ACCEPT": ";;;,,,/"},
    "X-Forwarded-For garbage": {"HTTP_X_FORWARDED_FOR": "not-an-ip, ::::, 999.1.1.1"},
}
# Inputs that once answered 500, each with a test of its own below (now a 400 or 401):
# none is left out of the barrage any more. A new one found goes here with an xfail test.
KNOWN_500: dict[tuple[str, str, str], str] = {}
KNOWN_HEADER_500: dict[str, str] = {}
# Calls that revoke the token they came with: each gets a fresh one.
REVOKING = {"/api/v1/auth/logout/", "/api/v1/auth/logout-all/", "/api/v1/me/password/"}
QUERIES = ["?format=xml", "?format=api", "?format=", "?page=abc", "?" + "a=1&" * 2_000]


def _string_fields(schema: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(field, inner field) of each string property, top-level and one object down."""
    found: list[tuple[str, str | None]] = []
    for name, node in schema.get("properties", {}).items():
        resolved = _resolve(node)
        if resolved.get("type", "string") == "string" and "enum" not in resolved:
            found.append((name, None))
        for inner, inner_node in resolved.get("properties", {}).items():
            if _resolve(inner_node).get("type", "string") == "string":
                found.append((name, inner))
    return found


def _number_fields(schema: dict[str, Any]) -> list[str]:
    return [
        name
        for name, node in schema.get("properties", {}).items()
        if _resolve(node).get("type") in ("integer", "number")
    ]


def _with(base: dict[str, Any], outer: str, inner: str | None, value: Any) -> dict[str, Any]:
    body = {**base}
    body[outer] = {**base[outer], inner: value} if inner else value
    return body


def _form(body: dict[str, Any]) -> dict[str, Any]:
    """A body as a form sends it: nested objects flattened to dotted names, all strings."""
    flat: dict[str, Any] = {}
    for name, value in body.items():
        if isinstance(value, dict):
            flat.update({f"{name}.{key}": str(inner) for key, inner in value.items()})
        else:
            flat[name] = str(value)
    return flat


class Barrage:
    """Sends bodies and collects what is wrong with the answers."""

    def __init__(self, client: APIClient) -> None:
        self.client = client
        self.sent = 0
        self.problems: list[str] = []

    def send(
        self, method: str, path: str, body: Any, content_type: str, where: str, *, strict: bool
    ) -> None:
        response = _send(self.client, method, path, body, content_type)
        self.check(response, where, strict=strict)

    def check(self, response: Any, where: str, *, strict: bool) -> None:
        self.sent += 1
        problem = _problem(response, where, body_required=strict)
        if problem:
            self.problems.append(problem)


def _json(body: dict[str, Any]) -> bytes:
    # Python's json writes a lone surrogate as its \\u escape, exactly what a client sends.
    return json.dumps(body).encode()


def test_strings_postgresql_cannot_store_answer_4xx_in_every_string_field(caller, world):
    barrage = Barrage(caller)
    for method, template, schema in _operations():
        if schema is None:
            continue
        base = world.body(schema)
        for outer, inner in _string_fields(schema):
            if (method, template, inner or outer) in KNOWN_500:
                continue
            for value in UNSTORABLE:
                body = _json(_with(base, outer, inner, value))
                where = f"{method.upper()} {template} [{outer}.{inner or ''}={value!r}]"
                barrage.send(method, world.path(template), body, JSON, where, strict=True)

    assert barrage.problems == []
    assert barrage.sent >= 150
    _assert_still_serving(world)


def test_numbers_out_of_every_columns_range_answer_4xx(caller, world):
    barrage = Barrage(caller)
    for method, template, schema in _operations():
        if schema is None:
            continue
        base = world.body(schema)
        for name in _number_fields(schema):
            if (method, template, name) in KNOWN_500:
                continue
            for value in OUT_OF_RANGE:
                # json.dumps writes infinity as `Infinity`, which is not JSON: spell it 1e999.
                raw = json.dumps({**base, name: "@@"}).replace('"@@"', repr(value))
                raw = raw.replace("inf", "1e999")
                where = f"{method.upper()} {template} [{name}={value!r}]"
                barrage.send(method, world.path(template), raw.encode(), JSON, where, strict=True)

    assert barrage.problems == []
    assert barrage.sent >= 30
    _assert_still_serving(world)


@pytest.mark.parametrize("content_type", [FORM, MULTIPART])
def test_form_and_multipart_bodies_with_wrong_values_answer_4xx(caller, world, content_type):
    barrage = Barrage(caller)
    for method, template, schema in _operations():
        if schema is None or method == "delete":
            continue
        base = world.body(schema)
        # A form has no types and no surrogates (its bytes are decoded with replacement),
        # and an empty value means "use the default": what is left to get wrong is length
        # and numbers.
        wrong: list[tuple[str, dict[str, Any]]] = []
        for outer, inner in _string_fields(schema):
            node = _resolve(schema["properties"][outer])
            if inner is not None:
                node = _resolve(node["properties"][inner])
            if "maxLength" in node:
                too_long = _with(base, outer, inner, "x" * 100_000)
                wrong.append((f"{outer}.{inner or ''} too long", too_long))
        for name in _number_fields(schema):
            for value in ("not-a-number", "1.5", "9" * 40, "1e999"):
                wrong.append((f"{name}={value[:10]}", {**base, name: value}))
        for name, body in wrong:
            where = f"{method.upper()} {template} [{content_type.split(';')[0]} {name}]"
            response = getattr(caller, method)(
                world.path(template),
                data=_encode(_form(body), content_type),
                content_type=content_type,
            )
            barrage.check(response, where, strict=True)

    assert barrage.problems == []
    assert barrage.sent >= 40
    _assert_still_serving(world)


def _encode(fields: dict[str, str], content_type: str) -> bytes:
    if content_type == FORM:
        from urllib.parse import urlencode

        return urlencode(fields, errors="surrogatepass").encode("ascii")
    parts = [
        b'--BoUnDaRy\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (name.encode(), value.encode("utf-8", "surrogatepass"))
        for name, value in fields.items()
    ]
    return b"".join(parts) + b"--BoUnDaRy--\r\n"


@pytest.mark.parametrize("content_type", [FORM, MULTIPART])
def test_a_form_with_more_fields_than_allowed_is_a_400_in_the_error_shape(api, content_type):
    fields = {f"field{i}": "1" for i in range(1_500)}  # past DATA_UPLOAD_MAX_NUMBER_FIELDS

    response = api.post(
        "/api/v1/cart/items/", _encode(fields, content_type), content_type=content_type
    )

    barrage = Barrage(api)
    barrage.check(response, "1,500 form fields", strict=True)
    assert barrage.problems == []


def test_wide_bodies_to_every_write_operation_answer_4xx(caller, world):
    barrage = Barrage(caller)
    for method, template, schema in _operations():
        for name, body in WIDE.items():
            where = f"{method.upper()} {template} [{name}]"
            barrage.send(method, world.path(template), body, JSON, where, strict=schema is not None)

    assert barrage.problems == []
    assert barrage.sent >= 90
    _assert_still_serving(world)


def test_malformed_path_parameters_answer_4xx(caller, world):
    barrage = Barrage(caller)
    for method, template, schema in _operations():
        if "{" not in template:
            continue
        body = _json(world.body(schema)) if schema else b""
        for value in PATH_VALUES:
            path = template.replace("{id}", value).replace("{number}", value)
            where = f"{method.upper()} {path}"
            barrage.send(method, path, body, JSON, where, strict=True)

    assert barrage.problems == []
    assert barrage.sent >= 40
    _assert_still_serving(world)


def test_odd_headers_and_query_strings_never_answer_5xx(world):
    # The body is plausible, so an operation may accept it: only a 5xx, or a 4xx in
    # another shape, is wrong here.
    barrage = Barrage(token_client(world.shopper))
    for method, template, schema in _operations():
        body = _json(world.body(schema)) if schema else b""
        path = world.path(template)
        # A fresh token costs a tenth of a second here, so one per operation unless it is
        # revoked by the call. A client's own credentials would override the Authorization
        # tried here, so those go without.
        signed_in = token_client(world.shopper)
        signed_in.raise_request_exception = False
        for name, headers in HEADERS.items():
            if name in KNOWN_HEADER_500:
                continue
            if "HTTP_AUTHORIZATION" in headers:
                client = APIClient()
            elif template in REVOKING:
                client = token_client(world.shopper)
            else:
                client = signed_in
            client.raise_request_exception = False
            extra = {"CONTENT_TYPE": JSON, **headers}
            content_type = extra.pop("CONTENT_TYPE")
            response = getattr(client, method)(path, data=body, content_type=content_type, **extra)
            barrage.check(response, f"{method.upper()} {template} [{name}]", strict=False)
        for query in QUERIES:
            client = token_client(world.shopper) if template in REVOKING else signed_in
            client.raise_request_exception = False
            response = _send(client, method, path + query, body, JSON)
            barrage.check(response, f"{method.upper()} {template} [{query[:20]}]", strict=False)

    assert barrage.problems == []
    assert barrage.sent >= 300
    _assert_still_serving(world)


@pytest.fixture
def api(shopper) -> APIClient:
    client = token_client(shopper)
    client.raise_request_exception = False
    return client


def test_every_operation_the_barrage_knows_is_a_documented_write(world):
    assert {(method, template) for method, template, _ in _operations()} >= {
        ("post", "/api/v1/cart/items/"),
        ("post", "/api/v1/checkout/"),
        ("post", "/api/v1/auth/token/"),
        ("post", "/api/v1/accounts/"),
        ("patch", "/api/v1/me/"),
        ("post", "/api/v1/orders/{number}/pay/"),
        ("post", "/api/v1/payments/webhook/"),
    }
    assert isinstance(world, World)


def test_a_lone_surrogate_as_the_sign_in_email_is_a_400():
    client = APIClient()
    client.raise_request_exception = False
    body = b'{"email": "\\ud800@example.com", "password": "x"}'

    response = _send(client, "post", "/api/v1/auth/token/", body, JSON)

    assert response.status_code == 400


def test_an_infinite_address_id_at_checkout_is_a_400(api, world):
    body = b'{"address_id": 1e999, "shipping_method": %d}' % world.shipping.pk

    response = _send(api, "post", "/api/v1/checkout/", body, JSON)

    assert response.status_code == 400


def test_a_refusal_quoting_a_lone_surrogate_is_a_400_not_a_500(api, world):
    address = {**world.body(_resolve({"$ref": "#/components/schemas/AddressRequest"}))}
    body = _json({**address, "country": "\ud800"})

    response = _send(api, "post", "/api/v1/me/addresses/", body, JSON)

    assert response.status_code == 400
    assert "?" in response.json()["error"]["fields"]["country"][0]


def test_a_token_with_a_nul_is_a_401():
    client = APIClient()
    client.raise_request_exception = False

    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token abc\x00def")

    assert response.status_code == 401


# Over a real socket to a real gunicorn: what never reaches Django through the test client.
# gunicorn answers the framing errors itself (its own plain 400, not the API's shape); the
# point is that each is a 4xx and that no worker dies of one.
RAW: dict[str, bytes] = {
    "a request line of garbage": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    "an unknown method": b"BREW /api/v1/cart/items/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "a request line of 10 KB": b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "a header of 10 KB": b"GET /api/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
    + b"a" * 10_000
    + b"\r\n\r\n",
    "200 headers": b"GET /api/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    + b"".join(b"X-H%d: 1\r\n" % i for i in range(200))
    + b"\r\n",
    "a NUL in a header": b"POST /api/v1/cart/items/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Authorization: Token abc\x00def\r\nContent-Length: 2\r\n\r\n{}",
    "a Content-Length of letters": b"POST /api/v1/cart/items/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\nContent-Length: abc\r\n\r\n{}",
    "a negative Content-Length": b"POST /api/v1/cart/items/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\nContent-Length: -5\r\n\r\n{}",
    "two Content-Lengths": b"POST /api/v1/cart/items/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    "a bad chunk size": b"POST /api/v1/cart/items/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    "chunked and a Content-Length": b"POST /api/v1/cart/items/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
    "a Host not allowed": b"POST /api/v1/cart/items/ HTTP/1.1\r\nHost: evil.example\r\n"
    b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    "a body of 3 MB": b"POST /api/v1/cart/items/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\nContent-Length: 3145740\r\n\r\n"
    + b'{"code": "'
    + b"x" * 3_145_728
    + b'"}',
}


def _raw_status(port: int, payload: bytes) -> int:
    """The status gunicorn answers `payload` with; 0 if it closed without one."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        try:
            conn.sendall(payload)
            head = conn.recv(64)
        except OSError:
            return 0
    match = head.split(b" ", 2)
    return int(match[1]) if head.startswith(b"HTTP/") and len(match) > 1 else 0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.faults.pg_support import (
        Gunicorn,
        app_env,
        postgres_cluster,
        require_postgres_binaries,
        shop_prepare,
    )

    require_postgres_binaries()
    folder = tmp_path_factory.mktemp("bad-input-http")
    with postgres_cluster() as cluster:
        cluster.createdb("shop")
        env = app_env(database_url=cluster.url("shop"), var_dir=folder)
        shop = shop_prepare(env, shoppers=1, stock=100)
        server = Gunicorn(env, folder, workers=2)
        server.start()
        try:
            yield server, shop
        finally:
            server.stop()


@pytest.mark.postgres
def test_bad_requests_over_http_to_a_real_gunicorn_are_4xx_and_no_worker_dies(served):
    from tests.faults.pg_support import SHIPPING_ADDRESS, request

    server, shop = served
    workers = server.worker_pids()
    auth = {"Authorization": f"Token {shop.tokens[0]}"}
    problems = []
    raw_statuses = {}
    signed = b"Host: 127.0.0.1\r\nAuthorization: Token %s\r\n" % shop.tokens[0].encode()
    for name, payload in RAW.items():
        if b"Authorization" not in payload:  # signed in, so that a view reads the body
            payload = payload.replace(b"Host: 127.0.0.1\r\n", signed, 1)
        status = raw_statuses[name] = _raw_status(server.port, payload)
        if not 400 <= status < 500:
            problems.append(f"{name} -> {status}")
    # And the malformed bodies of the in-process barrage, through the real WSGI stack.
    for path in ("/api/v1/cart/items/", "/api/v1/checkout/", "/api/v1/auth/token/"):
        for name, (body, content_type) in base.MALFORMED.items():
            answer = request("POST", server.url(path), body=body, headers={
                **auth, "Content-Type": content_type})  # fmt: skip
            shaped = answer.content_type.startswith(JSON) and set(
                answer.json().get("error", {})
            ) == {"code", "message", "fields"}
            if not 400 <= answer.status < 500 or not shaped:
                problems.append(f"POST {path} [{name}] -> {answer.status} {answer.body[:80]!r}")

    print(f"\n[bad input over http] {raw_statuses}")
    assert problems == []
    assert server.worker_pids() == workers, "a worker died"
    variant = next(iter(shop.variants))
    added = request("POST", server.url("/api/v1/cart/items/"), headers=auth,
                    body={"variant": variant, "quantity": 1})  # fmt: skip
    placed = request("POST", server.url("/api/v1/checkout/"), headers=auth, body={
        "shipping_address": SHIPPING_ADDRESS, "shipping_method": shop.shipping_method})  # fmt: skip
    assert (added.status, placed.status) == (201, 201), placed.body


@pytest.mark.postgres
def test_a_body_over_the_limit_gets_its_400_read_every_time(served):
    """Django refuses it unread; the server reads the rest after answering, so no reset
    reaches a client still sending (apps/core/wsgi.py). Repeated: the reset was a race."""
    from tests.faults.pg_support import request

    server, shop = served
    body, content_type = base.MALFORMED["oversized"]
    headers = {"Authorization": f"Token {shop.tokens[0]}", "Content-Type": content_type}
    statuses = [
        request("POST", server.url("/api/v1/cart/items/"), body=body, headers=headers).status
        for _ in range(25)
    ]
    assert statuses == [400] * 25
