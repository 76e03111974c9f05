"""API tokens: e-mail and password in, a knox token and its expiry out."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from rest_framework import serializers

# One message for an unknown e-mail, a wrong password and a deactivated account, so the
# endpoint cannot be used to find out which addresses have accounts.
BAD_CREDENTIALS = "Unable to sign in with that e-mail address and password."


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
