"""Token sign-in and sign-out for API clients, on django-rest-knox's views."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from knox import views as knox_views
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.api.authentication import TokenAuthentication
from apps.accounts.api.serializers import TokenObtainSerializer, TokenSerializer
from apps.core.api import ErrorSerializer
from apps.core.throttling import ScopedRateThrottle

UNAUTHENTICATED = OpenApiResponse(
    ErrorSerializer, description="No valid token: missing, revoked or expired."
)


class TokenObtainView(knox_views.LoginView):
    """Trades an e-mail address and password for a new token."""

    # Credentials are in the body: no session or token is looked at, and no CSRF applies.
    authentication_classes = ()
    permission_classes = (AllowAny,)
    # Per client address, on top of the general anonymous rate: this is where passwords
    # would be guessed.
    throttle_classes = (*APIView.throttle_classes, ScopedRateThrottle)
    throttle_scope = "auth"

    @extend_schema(
        summary="Obtain a token",
        description="Each call makes a new token; revoke it with `/auth/logout/`. Tokens are "
        "stored hashed and expire after `API_TOKEN_TTL_DAYS` (30 days by default). Rate "
        "limited per client address (`API_THROTTLE_AUTH`).",
        request=TokenObtainSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Malformed input, or the e-mail and password do not match an "
                "active account (one message for all three, so accounts cannot be probed).",
            ),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts; wait."),
        },
        auth=[],
    )
    def post(self, request: Request, format: str | None = None) -> Response:
        serializer = TokenObtainSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        request.user = serializer.validated_data["user"]
        response: Response = super().post(request, format=format)
        return response


@extend_schema_view(
    post=extend_schema(
        summary="Revoke this token",
        description="Only the token in the `Authorization` header stops working.",
        request=None,
        responses={204: None, 401: UNAUTHENTICATED},
    )
)
class TokenLogoutView(knox_views.LogoutView):
    """Revokes the token the request was made with (token authentication only)."""

    authentication_classes = (TokenAuthentication,)


@extend_schema_view(
    post=extend_schema(
        summary="Revoke all your tokens",
        description="Every token of the user stops working, including this one.",
        request=None,
        responses={204: None, 401: UNAUTHENTICATED},
    )
)
class TokenLogoutAllView(knox_views.LogoutAllView):
    """Revokes every token of the user, e.g. after losing a device."""

    authentication_classes = (TokenAuthentication,)
