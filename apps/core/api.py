"""The DRF exception handler: every API error has one JSON shape."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.errors import ApplicationError


def _fields(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {key: value for key, value in detail.items() if key != "non_field_errors"}
    return {}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Maps ApplicationError and DRF errors to `{"error": {"code", "message", "fields"}}`."""
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "message": exc.message, "fields": exc.fields}
        return Response({"error": body}, status=exc.status_code)
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
    response.data = {"error": body}
    return response
