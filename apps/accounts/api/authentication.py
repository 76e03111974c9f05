"""Knox token authentication in one query per request."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from knox.signals import token_expired
from rest_framework.exceptions import AuthenticationFailed


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's, without its sweep of the user's other tokens on every request.

    Knox loads all of the user's tokens on each request to delete the expired ones: a
    second query per API call that grows with the number of tokens. Here only the token
    presented is checked (an expired one is refused and deleted, as knox does); the other
    expired tokens are deleted by the `purge_expired_tokens` task, and an expired token is
    refused whether or not it was deleted yet.
    """

    def authenticate_credentials(self, token: bytes) -> tuple[Any, AuthToken]:
        # No token holds a NUL, and PostgreSQL refuses one in a query string: refused here
        # as any unknown token is, not a 500 (gunicorn drops such headers; others may not).
        if b"\x00" in token:
            raise AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        if auth_token.expiry is None or auth_token.expiry >= timezone.now():
            return False
        username = auth_token.user.get_username()
        auth_token.delete()
        token_expired.send(sender=self.__class__, username=username, source="auth_token")
        return True


class TokenScheme(KnoxTokenScheme):
    """Documents the class above in the OpenAPI schema exactly as knox's own."""

    target_class = "apps.accounts.api.authentication.TokenAuthentication"
