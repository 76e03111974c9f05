"""Knox token authentication in one query per request."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken
from knox.signals import token_expired


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's, without its sweep of the user's other tokens on every request.

    Knox loads all of the user's tokens on each request to delete the expired ones: a
    second query per API call that grows with the number of tokens. Here only the token
    presented is checked (an expired one is refused and deleted, as knox does); the other
    expired tokens are deleted by the `purge_expired_tokens` task, and an expired token is
    refused whether or not it was deleted yet.
    """

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
