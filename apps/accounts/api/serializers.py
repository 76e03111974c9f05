"""Account API bodies: tokens, sign-up, profile, address book, passwords."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django_countries.serializer_fields import CountryField
from knox.models import AuthToken
from rest_framework import serializers

from apps.accounts.models import Address, User
from apps.accounts.selectors import token_id
from apps.accounts.services import PasswordRejected, password_validate

# One message for an unknown e-mail, a wrong password and a deactivated account, so the
# endpoint cannot be used to find out which addresses have accounts.
BAD_CREDENTIALS = "Unable to sign in with that e-mail address and password."
RULES_HELP = "Checked by the shop's password rules (length, not too common, not all digits)."


class TokenObtainSerializer(serializers.Serializer[Any]):
    """Credentials checked by Django's authentication backends (inactive users fail)."""

    email = serializers.EmailField(help_text="The e-mail address you sign in with.")
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = authenticate(
            self.context.get("request"), username=attrs["email"], password=attrs["password"]
        )
        if user is None:
            raise serializers.ValidationError(BAD_CREDENTIALS, code="authorization")
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(
        help_text="Send as `Authorization: Token <token>`. Shown once: only a hash is stored."
    )
    expiry = serializers.DateTimeField(
        allow_null=True, help_text="When the token stops working; get a new one then."
    )


class UserSerializer(serializers.ModelSerializer[User]):
    """The profile: names may change here, the e-mail (the login) may not."""

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "date_joined"]
        read_only_fields = ["id", "email", "date_joined"]


class ProfileUpdateSerializer(serializers.Serializer[Any]):
    # The page's ProfileForm: both optional, up to 150 characters, blank allowed.
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class SignUpSerializer(serializers.Serializer[Any]):
    """The page's SignUpForm, less the repeated password (an app asks twice itself)."""

    email = serializers.EmailField(max_length=254, help_text="Becomes the login.")
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text=RULES_HELP,
    )

    def validate_password(self, value: str) -> str:
        # As the page: the rules without the account, which does not exist yet.
        try:
            password_validate(password=value, field="password")
        except PasswordRejected as error:
            raise serializers.ValidationError(error.fields["password"]) from None
        return value


class SignUpResponseSerializer(TokenSerializer):
    user = UserSerializer()


class AddressSerializer(serializers.ModelSerializer[Address]):
    """An address of the book; lengths and required fields are the model's (the page's form)."""

    country = CountryField(help_text="ISO 3166-1 alpha-2 code, e.g. `GB`.")
    make_default = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Make this the default address. The first address saved is the default "
        "anyway; deleting the default hands it to the newest remaining one.",
    )

    def validate_country(self, value: str) -> str:
        # django-countries' field takes an empty list or object for "no country"; the
        # model (and the page's form) require one.
        if not value:
            raise serializers.ValidationError("Choose a country (its ISO 3166-1 code).")
        return value

    class Meta:
        model = Address
        fields = [
            "id",
            "full_name",
            "line1",
            "line2",
            "city",
            "region",
            "postal_code",
            "country",
            "phone",
            "is_default",
            "make_default",
        ]
        read_only_fields = ["id", "is_default"]


class PasswordChangeSerializer(serializers.Serializer[Any]):
    current_password = serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    new_password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text=RULES_HELP,
    )


class PasswordResetRequestSerializer(serializers.Serializer[Any]):
    email = serializers.EmailField(
        max_length=254, help_text="The address the account signs in with."
    )


class PasswordResetAcceptedSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField(
        help_text="The same sentence whether or not the address is known."
    )


class PasswordResetConfirmSerializer(serializers.Serializer[Any]):
    uid = serializers.CharField(
        help_text="The `uidb64` part of the e-mailed link "
        "`/accounts/password/reset/<uidb64>/<token>/`."
    )
    token = serializers.CharField(help_text="The `token` part of the same link.")
    new_password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text=RULES_HELP,
    )


class TokenInfoSerializer(serializers.Serializer[AuthToken]):
    """A token of the user's, described: never its secret, nor any part of it."""

    id = serializers.SerializerMethodField(
        help_text="Short id, for `DELETE /me/tokens/{id}/`: the start of the stored hash."
    )
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True, help_text="When it stops working.")
    current = serializers.SerializerMethodField(
        help_text="Whether this is the token the request was made with."
    )

    def get_id(self, token: AuthToken) -> str:
        return token_id(token)

    def get_current(self, token: AuthToken) -> bool:
        presented = getattr(self.context.get("request"), "auth", None)
        return isinstance(presented, AuthToken) and presented.digest == token.digest
