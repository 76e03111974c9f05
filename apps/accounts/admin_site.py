"""The admin site: staff sign in under the same failed sign-in limits as shoppers."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse

from apps.accounts.models import normalize_email
from apps.accounts.ratelimit import login_blocked_for, login_failure_record
from apps.core.http import client_ip

logger = logging.getLogger(__name__)

TOO_MANY_ATTEMPTS = "too_many_attempts"


class AdminLoginForm(AdminAuthenticationForm):
    """The admin sign-in form, refusing before any password check while limited."""

    def clean(self) -> dict[str, Any]:
        # Checked here, ahead of authenticate(): once limited, even the right password
        # must get no answer, or the limit would still confirm a guess.
        wait = login_blocked_for(self.request) if self.request is not None else 0
        if wait:
            minutes = math.ceil(wait / 60)
            raise ValidationError(
                "Too many failed sign-in attempts. For your security, please try again in "
                f"{minutes} minute{'s' if minutes != 1 else ''}.",
                code=TOO_MANY_ATTEMPTS,
            )
        return super().clean()


class ShopAdminSite(admin.AdminSite):
    """Django's admin, its sign-in counted against the shop's per-address and per-account limits."""

    login_form = AdminLoginForm

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().login(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        form = context.get("form")
        if request.method != "POST" or form is None or not form.errors:
            return response
        if form.has_error(NON_FIELD_ERRORS, code=TOO_MANY_ATTEMPTS):
            logger.warning(
                "Admin sign-in refused: too many failed attempts (address %s, account %r)",
                client_ip(request),
                normalize_email(request.POST.get("username", "")),
            )
            response.status_code = 429
        else:
            # Any other invalid form is a failed attempt, as in the shop's LoginView.
            login_failure_record(request)
        return response
