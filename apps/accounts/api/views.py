"""Account API: tokens, sign-up, profile, address book, passwords; thin over the services."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import update_session_auth_hash, user_logged_in
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from knox import views as knox_views
from knox.models import AuthToken
from rest_framework import exceptions, generics, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors, services
from apps.accounts.api.authentication import TokenAuthentication
from apps.accounts.api.serializers import (
    AddressSerializer,
    PasswordChangeSerializer,
    PasswordResetAcceptedSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    ProfileUpdateSerializer,
    SignUpResponseSerializer,
    SignUpSerializer,
    TokenInfoSerializer,
    TokenObtainSerializer,
    TokenSerializer,
    UserSerializer,
)
from apps.accounts.models import Address, User
from apps.accounts.ratelimit import login_blocked_for, login_failure_record
from apps.core.api import ErrorSerializer
from apps.core.throttling import ScopedRateThrottle

UNAUTHENTICATED = OpenApiResponse(
    ErrorSerializer, description="No valid token: missing, revoked or expired."
)
THROTTLED = OpenApiResponse(ErrorSerializer, description="Too many attempts; wait.")
INVALID = OpenApiResponse(
    ErrorSerializer, description="Invalid input: `error.fields` names each field and why."
)
ADDRESS_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="You have no address with this id."
)
ADDRESS_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The address's `id`."
)
TOKEN_ID = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The token's short `id`."
)
PASSWORD_FIELDS = ("password", "current_password", "new_password")
# The `auth` scope, on top of the general rates: per client address, per user once signed in.
ACCOUNT_THROTTLES = (*APIView.throttle_classes, ScopedRateThrottle)
RESET_ACCEPTED = (
    "If an account uses this address, an e-mail with a link to choose a new password is on its way."
)
ACCOUNT_THROTTLE_NOTE = (
    "Rate limited per client address together with token sign-in (`API_THROTTLE_AUTH`)."
)
SIGN_IN_REFUSED = (
    "Too many failed sign-in attempts for this account or from this address. For your "
    "security, please wait and try again, or reset your password."
)


def _user(request: Request) -> User:
    # Only called behind IsAuthenticated, where request.user is a real User.
    return cast(User, request.user)


@method_decorator(sensitive_post_parameters(*PASSWORD_FIELDS), name="dispatch")
class TokenObtainView(knox_views.LoginView):
    """Trades an e-mail address and password for a new token."""

    # Credentials are in the body: no session or token is looked at, and no CSRF applies.
    authentication_classes = ()
    permission_classes = (AllowAny,)
    # Per client address, on top of the general anonymous rate: this is where passwords
    # would be guessed. Sign-up and the password endpoints below share the scope.
    throttle_classes = ACCOUNT_THROTTLES
    throttle_scope = "auth"

    @extend_schema(
        summary="Obtain a token",
        description="Each call makes a new token; revoke it with `/auth/logout/` or "
        "`DELETE /me/tokens/{id}/`. Tokens are stored hashed and expire after "
        "`API_TOKEN_TTL_DAYS` (30 days by default). A user holds at most "
        "`API_TOKEN_LIMIT_PER_USER` tokens (10 by default): a sign-in past it revokes the "
        "oldest. Rate limited per client address (`API_THROTTLE_AUTH`), and failed attempts "
        "are counted per account and per address with the sign-in page "
        "(`LOGIN_RATE_PER_ACCOUNT`, `LOGIN_RATE_PER_IP`): once either is used up, even the "
        "right password answers 429 until the window ends.",
        request=TokenObtainSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Malformed input, or the e-mail and password do not match an "
                "active account (one message for all three, so accounts cannot be probed).",
            ),
            429: THROTTLED,
        },
        auth=[],
    )
    def post(self, request: Request, format: str | None = None) -> Response:
        account = _posted_email(request)
        # Checked before the password, as on the page: once limited, the right password
        # must get no answer either, or the limit would still confirm a guess.
        wait = login_blocked_for(request._request, account=account)
        if wait:
            raise exceptions.Throttled(wait=wait, detail=SIGN_IN_REFUSED)
        serializer = TokenObtainSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            login_failure_record(request._request, account=account)
            raise exceptions.ValidationError(serializer.errors)
        request.user = serializer.validated_data["user"]
        response: Response = super().post(request, format=format)
        return response

    def create_token(self) -> tuple[AuthToken, str]:
        return services.token_create(user=_user(self.request))


def _posted_email(request: Request) -> str:
    """The account a sign-in tries, as the limiter counts it (a JSON body may be anything)."""
    data: Any = request.data
    email = data.get("email") if hasattr(data, "get") else None
    return email if isinstance(email, str) else ""


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


@method_decorator(sensitive_post_parameters(*PASSWORD_FIELDS), name="dispatch")
class SignUpView(APIView):
    """Creates an account and signs it in, as the sign-up page does."""

    throttle_classes = ACCOUNT_THROTTLES
    throttle_scope = "auth"
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        summary="Create an account",
        description="Makes a customer account and returns it with a new token, so the app "
        "is signed in at once (as the sign-up page signs the browser in). The password "
        "must pass the shop's password rules. " + ACCOUNT_THROTTLE_NOTE,
        request=SignUpSerializer,
        responses={
            201: SignUpResponseSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Invalid input (`invalid`, with `error.fields`), or an account "
                "already signs in with this e-mail address (`email_taken`).",
            ),
            429: THROTTLED,
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = SignUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # One outcome: an account that signs in, or none (no account left without its token).
        with transaction.atomic():
            user = services.user_signup(**serializer.validated_data)
            instance, secret = services.token_create(user=user)
        user_logged_in.send(sender=User, request=request, user=user)
        body = SignUpResponseSerializer(
            {"user": user, "token": secret, "expiry": instance.expiry}
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class ProfileView(generics.GenericAPIView[User]):
    """The signed-in user's own account."""

    permission_classes = (IsAuthenticated,)
    serializer_class = UserSerializer

    @extend_schema(
        summary="Your profile",
        responses={200: UserSerializer, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        return Response(UserSerializer(_user(request)).data)

    @extend_schema(
        summary="Change your names",
        description="The names shown on orders and e-mails. The e-mail address is the "
        "login and cannot be changed here.",
        request=ProfileUpdateSerializer,
        responses={200: UserSerializer, 400: INVALID, 401: UNAUTHENTICATED},
    )
    def patch(self, request: Request) -> Response:
        user = _user(request)
        serializer = ProfileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        names = {"first_name": user.first_name, "last_name": user.last_name}
        services.profile_update(user=user, **{**names, **serializer.validated_data})
        return Response(UserSerializer(user).data)


class AddressViewSet(viewsets.GenericViewSet[Address]):
    """The signed-in user's address book; another user's address is a 404."""

    permission_classes = (IsAuthenticated,)
    serializer_class = AddressSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Address]:
        if getattr(self, "swagger_fake_view", False):
            return Address.objects.none()
        return selectors.address_list(user=_user(self.request))

    @extend_schema(
        summary="Your addresses",
        description="The whole address book, the default first.",
        responses={200: AddressSerializer(many=True), 401: UNAUTHENTICATED},
    )
    def list(self, request: Request) -> Response:
        return Response(AddressSerializer(self.get_queryset(), many=True).data)

    @extend_schema(
        summary="Add an address",
        responses={201: AddressSerializer, 400: INVALID, 401: UNAUTHENTICATED},
    )
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        address = services.address_create(
            user=_user(request), data=data, make_default=data.pop("make_default")
        )
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="One of your addresses",
        parameters=[ADDRESS_ID],
        responses={200: AddressSerializer, 401: UNAUTHENTICATED, 404: ADDRESS_NOT_FOUND},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(AddressSerializer(self.get_object()).data)

    @extend_schema(
        summary="Change an address",
        description="Only the fields sent change. `make_default: true` makes it the default; "
        "the default cannot be unset, only handed to another address.",
        parameters=[ADDRESS_ID],
        responses={
            200: AddressSerializer,
            400: INVALID,
            401: UNAUTHENTICATED,
            404: ADDRESS_NOT_FOUND,
        },
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        address = self.get_object()
        serializer = self.get_serializer(address, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        make_default = bool(data.pop("make_default", False))
        services.address_update(address=address, data=data, make_default=make_default)
        return Response(AddressSerializer(address).data)

    @extend_schema(
        summary="Delete an address",
        description="If it was the default, the newest remaining address becomes the default.",
        parameters=[ADDRESS_ID],
        request=None,
        responses={204: None, 401: UNAUTHENTICATED, 404: ADDRESS_NOT_FOUND},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        services.address_delete(address=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(sensitive_post_parameters(*PASSWORD_FIELDS), name="dispatch")
class PasswordChangeView(APIView):
    """Changes the signed-in user's password, given the current one."""

    throttle_classes = ACCOUNT_THROTTLES
    throttle_scope = "auth"
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        summary="Change your password",
        description="Needs the current password; the new one must pass the shop's password "
        "rules. Every other token of the account is revoked (as the page logs other "
        "browsers out); the token this request was made with keeps working. Rate limited "
        "per user (`API_THROTTLE_AUTH`).",
        request=PasswordChangeSerializer,
        responses={
            204: None,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Invalid input or a new password the rules refuse (`invalid`, "
                "with `error.fields.new_password`), or a wrong current password "
                "(`password_incorrect`).",
            ),
            401: UNAUTHENTICATED,
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = _user(request)
        presented = request.auth if isinstance(request.auth, AuthToken) else None
        services.password_change(user=user, keep_token=presented, **serializer.validated_data)
        if presented is None:
            # Signed in with the browser's session: keep that one session signed in.
            update_session_auth_hash(request._request, user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(sensitive_post_parameters(*PASSWORD_FIELDS), name="dispatch")
class PasswordResetRequestView(APIView):
    """E-mails a reset link, saying nothing about whether the address has an account."""

    throttle_classes = ACCOUNT_THROTTLES
    throttle_scope = "auth"
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        summary="Request a password reset e-mail",
        description="Always 202 with the same text: whether the address has an account is "
        "not revealed. If it has, the e-mail (sent in the background, the same as the "
        "page's) holds a link valid for `PASSWORD_RESET_TIMEOUT` seconds whose `uidb64` and "
        "`token` parts go to `/password-reset/confirm/`. " + ACCOUNT_THROTTLE_NOTE,
        request=PasswordResetRequestSerializer,
        responses={202: PasswordResetAcceptedSerializer, 400: INVALID, 429: THROTTLED},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(email=serializer.validated_data["email"])
        return Response({"detail": RESET_ACCEPTED}, status=status.HTTP_202_ACCEPTED)


@method_decorator(sensitive_post_parameters(*PASSWORD_FIELDS), name="dispatch")
class PasswordResetConfirmView(APIView):
    """Sets a new password with the link from the reset e-mail."""

    throttle_classes = ACCOUNT_THROTTLES
    throttle_scope = "auth"
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        summary="Choose a new password with a reset link",
        description="`uid` and `token` are the last two parts of the e-mailed link. The link "
        "works once. Every token of the account is revoked: sign in again with the new "
        "password. " + ACCOUNT_THROTTLE_NOTE,
        request=PasswordResetConfirmSerializer,
        responses={
            204: None,
            400: OpenApiResponse(
                ErrorSerializer,
                description="The link is invalid, used or expired "
                "(`password_reset_link_invalid`), or the input or new password is refused "
                "(`invalid`, with `error.fields`).",
            ),
            429: THROTTLED,
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.password_reset_confirm(
            uidb64=data["uid"], token=data["token"], new_password=data["new_password"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenViewSet(viewsets.GenericViewSet[AuthToken]):
    """The signed-in user's own API tokens; another user's token is a 404."""

    permission_classes = (IsAuthenticated,)
    serializer_class = TokenInfoSerializer
    lookup_value_regex = selectors.TOKEN_ID_PATTERN

    def get_queryset(self) -> QuerySet[AuthToken]:
        if getattr(self, "swagger_fake_view", False):
            return AuthToken.objects.none()
        return selectors.token_list(user=_user(self.request))

    def get_object(self) -> AuthToken:
        token = selectors.token_for_user(user=_user(self.request), token_id=self.kwargs["pk"])
        if token is None:
            raise Http404("No such token.")
        return token

    @extend_schema(
        summary="Your tokens",
        description="The tokens that still work, newest first: when each was made and "
        "expires, and which one this request used. Never the secrets.",
        responses={200: TokenInfoSerializer(many=True), 401: UNAUTHENTICATED},
    )
    def list(self, request: Request) -> Response:
        tokens = TokenInfoSerializer(
            self.get_queryset(), many=True, context=self.get_serializer_context()
        )
        return Response(tokens.data)

    @extend_schema(
        summary="Revoke one of your tokens",
        description="That token stops working at once, e.g. one left on a lost phone.",
        parameters=[TOKEN_ID],
        request=None,
        responses={
            204: None,
            401: UNAUTHENTICATED,
            404: OpenApiResponse(ErrorSerializer, description="You have no token with this id."),
        },
    )
    def destroy(self, request: Request, pk: str) -> Response:
        services.token_revoke(token=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
