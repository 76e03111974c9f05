"""What the account API tests share: the endpoints, a body, throttle rates, clients."""

from __future__ import annotations

from rest_framework.test import APIClient

SIGNUP = "/api/v1/accounts/"
TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/me/"
ADDRESSES = "/api/v1/me/addresses/"
ADDRESS = "/api/v1/me/addresses/{id}/"
PASSWORD = "/api/v1/me/password/"
TOKENS = "/api/v1/me/tokens/"
TOKEN_DETAIL = "/api/v1/me/tokens/{id}/"
RESET = "/api/v1/password-reset/"
RESET_CONFIRM = "/api/v1/password-reset/confirm/"
NEW_PASSWORD = "brand-new-password-9"
ADDRESS_BODY = {
    "full_name": "Ada Lovelace",
    "line1": "12 Analytical Row",
    "city": "London",
    "postal_code": "N1 9GU",
    "country": "GB",
}


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _url(template: str, id: object) -> str:
    return template.replace("{id}", str(id))
