"""Helpers for the API tests: signed-in clients, error-shape checks, the documented schema."""

from __future__ import annotations

import functools
from typing import Any

import jsonschema
from drf_spectacular.generators import SchemaGenerator
from knox.models import AuthToken
from rest_framework.test import APIClient

from apps.accounts.models import User


def token_client(user: User) -> APIClient:
    """A client that sends a fresh knox token of `user`, as a program would."""
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def assert_error(response: Any, status: int, *, code: str | None = None, field: str | None = None):
    """The one error shape, with the status, code and field named."""
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert field in error["fields"], error
        assert error["fields"][field]
        assert all(isinstance(message, str) for message in error["fields"][field])
    return error


@functools.cache
def _openapi() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _strict(node: Any) -> Any:
    """OpenAPI 3.0 schema → JSON Schema: `nullable` as a type, no unknown properties."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _strict(value) for key, value in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        node = {"anyOf": [{"type": "null"}, node]}
    return node


def assert_matches_schema(response: Any, path: str, method: str = "get") -> None:
    """The response body is exactly what the schema documents for its status."""
    document = _openapi()
    documented = document["paths"][path][method]["responses"][str(response.status_code)]
    schema = documented["content"]["application/json"]["schema"]
    root = {**_strict(schema), "components": _strict(document["components"])}
    jsonschema.validate(response.json(), root)
