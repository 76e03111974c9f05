"""Request logging, the API error shape, and media served in embedded mode."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.test.utils import override_script_prefix
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from apps.core.api import exception_handler
from apps.core.errors import ApplicationError


def test_each_request_logs_one_line_with_its_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="shopfront.request"):
        response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-proxy-id-1234")
    records = [r for r in caplog.records if r.name == "shopfront.request"]
    assert len(records) == 1
    record = records[0]
    assert (record.method, record.path, record.status) == ("GET", "/healthz", 200)
    assert record.request_id == "edge-proxy-id-1234" == response["X-Request-ID"]
    assert record.duration_ms >= 0


def test_a_request_id_that_does_not_look_like_one_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


class _OutOfStock(ApplicationError):
    code = "out_of_stock"
    status_code = 409


def test_application_errors_become_the_shared_json_shape():
    response = exception_handler(_OutOfStock("Only 2 left."), {})
    assert response.status_code == 409
    assert response.data == {
        "error": {"code": "out_of_stock", "message": "Only 2 left.", "fields": {}}
    }


def test_validation_errors_name_their_fields():
    error = ValidationError({"quantity": ["Must be at least 1."]})
    response = exception_handler(error, {})
    assert response.status_code == 400
    assert response.data["error"]["code"] == "invalid"
    assert response.data["error"]["fields"] == {"quantity": ["Must be at least 1."]}


def test_not_found_keeps_the_shape():
    response = exception_handler(Http404("No Order matches the given query."), {})
    assert response.status_code == 404
    assert response.data["error"]["code"] == "not_found"
    assert "Order" not in response.data["error"]["message"]


def test_serializer_errors_are_400_with_fields():
    class QuantitySerializer(serializers.Serializer):
        quantity = serializers.IntegerField(min_value=1)

    serializer = QuantitySerializer(data={"quantity": "abc"})
    with pytest.raises(ValidationError) as caught:
        serializer.is_valid(raise_exception=True)
    response = exception_handler(caught.value, {})
    assert response.status_code == 400
    assert list(response.data["error"]["fields"]) == ["quantity"]
    assert not isinstance(caught.value, DjangoValidationError)


def test_uploaded_media_is_served_in_embedded_mode(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "products").mkdir()
    (tmp_path / "products" / "mug.txt").write_bytes(b"a mug")
    response = client.get("/media/products/mug.txt")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"a mug"


@pytest.mark.django_db
def test_the_page_shell_links_follow_the_script_prefix(client):
    """The header's links are worked out once per script prefix, not once per process."""
    plain = client.get("/cart/").content.decode()
    assert 'href="/catalog/"' in plain
    assert 'href="/accounts/login/"' in plain
    with override_script_prefix("/shop/"):
        prefixed = client.get("/cart/").content.decode()
    assert 'href="/shop/catalog/"' in prefixed
    assert 'href="/shop/accounts/login/"' in prefixed
    assert 'rel="stylesheet" href="/static/' in prefixed
