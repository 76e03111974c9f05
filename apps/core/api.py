"""Shared API pieces: the one error shape, its handler, and Idempotency-Key handling."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.errors import ApplicationError
from apps.core.idempotency import (
    KEY_MAX_LENGTH,
    RETENTION,
    IdempotencyInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    Replay,
    idempotency_begin,
    idempotency_complete,
    idempotency_refusal_store,
    idempotency_release,
    request_fingerprint,
)
from apps.core.models import IdempotencyRecord

# Where config/urls.py mounts the API. Every answer under it is JSON, errors in the one shape,
# whether a view of the API made it or Django did (no route matched, a view crashed).
API_PREFIX = "api/v1/"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

logger = logging.getLogger(__name__)

# The database out of reach: restarting, failing over, or a connection it closed under us
# (InterfaceError). A moment's outage that the same request survives when retried, so it is
# a 503 with Retry-After, not a 500; psycopg's deadlock and statement-timeout errors are
# OperationalErrors too, and retrying is the right advice for them as well.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
# A fast restart takes about a second and a failover a few (tests/faults/test_postgres_restart.py
# measures the first).
RETRY_AFTER_SECONDS = 5


class ServiceUnavailable(exceptions.APIException):
    """The shop cannot reach its database just now; the same request may be retried."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The shop is briefly unavailable. Please try again in a few seconds."
    default_code = "service_unavailable"


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text='Machine-readable, e.g. "invalid" or "not_found".')
    message = serializers.CharField(help_text="A sentence that can be shown to a shopper.")
    # The metaclass moves declared fields off the class, so this does not shadow `fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Problems per parameter or field name; empty when none applies.",
    )


class ErrorSerializer(serializers.Serializer[Any]):
    """The one error shape of the API (see exception_handler below)."""

    error = ErrorDetailSerializer()


# Marks a header parameter that lets a caller without an account in (a guest's cart or
# order token): `OpenApiParameter(..., extensions={GUEST_CREDENTIAL: True})`.
GUEST_CREDENTIAL = "x-guest-credential"


class ShopAutoSchema(AutoSchema):
    """drf-spectacular's schema, with what every operation of a kind may answer.

    - 429, in the one error shape, on every throttled operation that does not describe its
      own (a login's limit, a sale's waiting room): the per-client rates apply to them all.
    - 415 on every operation that reads a body: DRF refuses one it has no parser for.
    - `{}` among the security requirements of an operation that takes a guest's token
      header: the header stands in for an account, so signing in is optional there.
    """

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        if "429" not in responses and self.view.get_throttles():
            responses["429"] = self._error(
                "Too many requests from this client; retry after `Retry-After` seconds."
            )
        if "requestBody" in operation and "415" not in responses:
            responses["415"] = self._error("The body's Content-Type is not one listed here.")
        guests = any(p.get(GUEST_CREDENTIAL) for p in operation.get("parameters", []))
        if guests and {} not in operation.get("security", [{}]):
            operation["security"].append({})
        return operation

    def _error(self, description: str) -> dict[str, Any]:
        error = self.resolve_serializer(ErrorSerializer, "response")
        return {"content": {"application/json": {"schema": error.ref}}, "description": description}


def _fields(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return _flatten({key: value for key, value in detail.items() if key != "non_field_errors"})
    return {}


def _flatten(detail: Any, name: str = "") -> dict[str, list[str]]:
    """Nested serializer errors named by their path: `{"shipping_address.country": [...]}`.

    `fields` is documented as a flat map of messages; a nested body's problems are named by
    their path, and a nested object's own (non-field) problems by the object's name.
    """
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            path = name if key == "non_field_errors" else f"{name}.{key}" if name else str(key)
            for field, messages in _flatten(value, path).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{name}.{index}"))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {name: [str(message) for message in messages]}


def _encodable(body: dict[str, Any]) -> dict[str, Any]:
    """The error body with every lone surrogate replaced by "?", so that it can be sent.

    A message may quote the input ('"\\ud800" is not a valid choice.'), and JSON lets a
    client send a lone surrogate as an escape: valid Python text with no UTF-8 form, which
    made the renderer fail and the refusal a 500.
    """

    def text(value: Any) -> str:
        return str(value).encode("utf-8", "replace").decode("utf-8")

    fields = body.get("fields") or {}
    return {
        **body,
        "message": text(body["message"]),
        "fields": {text(name): [text(m) for m in messages] for name, messages in fields.items()},
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Maps ApplicationError and DRF errors to `{"error": {"code", "message", "fields"}}`."""
    request = context.get("request")
    if request is not None:
        # An error is JSON even from a view whose success is not (the docs' HTML, the
        # schema's YAML), so that a client reads one shape wherever it asked.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "message": exc.message, "fields": exc.fields}
        return Response({"error": _encodable(body)}, status=exc.status_code)
    if isinstance(exc, DATABASE_UNAVAILABLE):
        # Logged with its traceback (the message may name SQL), answered without it.
        logger.error("Database unavailable; answered 503", exc_info=exc)
        exc = ServiceUnavailable()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        non_field = detail.get("non_field_errors") if isinstance(detail, dict) else detail
        message = (
            str(non_field[0]) if isinstance(non_field, list) and non_field else "Invalid input."
        )
        body = {"code": "invalid", "message": message, "fields": _fields(detail)}
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        codes = exc.get_codes()
        body = {
            "code": codes if isinstance(codes, str) else "error",
            "message": str(exc.detail),
            "fields": {},
        }
    response.data = {"error": _encodable(body)}
    if isinstance(exc, ServiceUnavailable):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def is_api_request(request: HttpRequest) -> bool:
    """Whether the request is for the API, whatever answers it (a view, or no route)."""
    return request.path_info.startswith(f"/{API_PREFIX}")


def error_response(exc: exceptions.APIException) -> HttpResponse:
    """`exc` in the one error shape, for answers Django makes outside DRF's views."""
    response = exception_handler(exc, {})
    assert response is not None  # noqa: S101 - the handler shapes every APIException
    # Rendered here, by the renderer of the API's views, since nothing renders what Django's
    # error handlers return: the same bytes a view's own error would have.
    renderer = JSONRenderer()
    return HttpResponse(
        renderer.render(response.data),
        status=response.status_code,
        content_type=renderer.media_type,
    )


IDEMPOTENCY_PARAMETERS = [
    OpenApiParameter(
        IDEMPOTENCY_KEY_HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="Strongly recommended: a unique value per operation (a UUID), 1 to "
        f"{KEY_MAX_LENGTH} characters, kept for {RETENTION.total_seconds() / 3600:.0f} hours "
        "per user. Retrying with the same key and body returns the stored response "
        f"(marked `{REPLAYED_HEADER}: true`) instead of acting twice; the same key with "
        "another body answers 422; while the first request with the key is still running, "
        "another answers 409. Without the header every request acts.",
    ),
    OpenApiParameter(
        REPLAYED_HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        enum=["true"],
        response=True,
        description="Present when this is the stored response of an earlier request made "
        "with the same Idempotency-Key.",
    ),
]


def idempotent(
    view: APIView,
    request: Request,
    handler: Callable[[], Response],
    *,
    atomic: bool = True,
    scope: str | None = None,
) -> Response:
    """Runs `handler` once per Idempotency-Key of the caller; a retry gets the stored answer.

    Keys are the caller's own: the signed-in user's, or `scope` for a caller without an
    account (a guest's cart or order), so two callers never share one.

    Without the header `handler` just runs. With it, every outcome below 500 (including
    refusals such as 409 out of stock) is stored and replayed; an unexpected failure
    forgets the key so the client may retry. With `atomic`, the effect and its stored
    response commit together, so a crash between them cannot leave one without the other.
    """
    key = request.headers.get(IDEMPOTENCY_KEY_HEADER)
    if key is None:
        return handler()
    if scope is None:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated
        scope = f"user:{request.user.pk}"
    fingerprint = _fingerprint(request)
    if atomic:
        return _idempotent_atomic(view, handler, scope=scope, key=key, fingerprint=fingerprint)
    claim = idempotency_begin(scope=scope, key=key, fingerprint=fingerprint)
    if isinstance(claim, Replay):
        return _replayed(claim)
    try:
        try:
            response = handler()
            _store(claim, response)
        except (ApplicationError, exceptions.APIException, Http404, PermissionDenied) as error:
            # Refused by a rule (declined): the refusal is the outcome to replay.
            response = view.handle_exception(error)
            _store(claim, response)
    except BaseException:
        idempotency_release(record=claim)
        raise
    return response


def _idempotent_atomic(
    view: APIView, handler: Callable[[], Response], *, scope: str, key: str, fingerprint: str
) -> Response:
    """The key claimed, the work done and its answer stored in one transaction.

    A worker that dies mid-request takes its claim with it, so a retry with the key acts
    instead of being told "in progress" until the key expires. A refusal rolls the work
    back with the claim, and is then stored on its own (a rule's answer is replayed too).
    """
    try:
        with transaction.atomic():
            claim = idempotency_begin(scope=scope, key=key, fingerprint=fingerprint)
            if isinstance(claim, Replay):
                return _replayed(claim)
            response = handler()
            _store(claim, response)
            return response
    except (IdempotencyKeyInvalid, IdempotencyKeyReused, IdempotencyInProgress):
        # About the key, not the work: answered, never stored under the key.
        raise
    except (ApplicationError, exceptions.APIException, Http404, PermissionDenied) as error:
        response = view.handle_exception(error)
        if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
            return response
        earlier = idempotency_refusal_store(
            scope=scope,
            key=key,
            fingerprint=fingerprint,
            status=response.status_code,
            body=_stored_body(response),
        )
        return response if earlier is None else _replayed(earlier)


def _replayed(claim: Replay) -> Response:
    return Response(claim.body, status=claim.status, headers={REPLAYED_HEADER: "true"})


def _store(record: IdempotencyRecord, response: Response) -> None:
    if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        idempotency_release(record=record)
        return
    idempotency_complete(record=record, status=response.status_code, body=_stored_body(response))


def _stored_body(response: Response) -> Any:
    # Stored as rendered, so a replay carries exactly the JSON the first caller received.
    rendered = JSONRenderer().render(response.data) if response.data is not None else b""
    return json.loads(rendered) if rendered else None


@sensitive_variables("canonical")
def _fingerprint(request: Request) -> str:
    """The request's method, path and parsed body, hashed with a key of the server's.

    The parsed body rather than its bytes, so that spacing or key order does not count as
    "a different request". Keyed with SECRET_KEY because a payment body holds a card
    number: a plain hash of so small a space could be reversed from a database dump.
    """
    canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    digest = salted_hmac("apps.core.api.idempotency", canonical, algorithm="sha256")
    return request_fingerprint(
        method=request.method or "", path=request.path, body=digest.hexdigest().encode()
    )
