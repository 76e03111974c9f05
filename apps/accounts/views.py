"""Account pages: thin views over the accounts services and selectors."""

from __future__ import annotations

import math
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from apps.accounts import forms, selectors, services
from apps.accounts.models import User
from apps.accounts.ratelimit import login_blocked_for, login_failure_record
from apps.core.errors import ApplicationError


@sensitive_post_parameters("password1", "password2")
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = forms.SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_signup(
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except ApplicationError as error:
            for field, errors in error.fields.items():
                for message in errors:
                    form.add_error(field, message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome! Your account has been created.")
            return redirect("accounts:profile")
    return render(request, "accounts/signup_form.html", {"form": form})


class LoginView(auth_views.LoginView):
    """Sign-in, refusing further attempts once an account or address keeps failing."""

    template_name = "accounts/login_form.html"
    form_class = forms.EmailAuthenticationForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = login_blocked_for(request)
        if wait:
            form = self.get_form()
            minutes = math.ceil(wait / 60)
            form.add_error(
                None,
                "Too many failed sign-in attempts. For your security, please wait "
                f"{minutes} minute{'s' if minutes != 1 else ''} and try again, "
                "or reset your password.",
            )
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: Any) -> HttpResponse:
        login_failure_record(self.request)
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have been logged out.")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, "Your password has been changed.")
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = forms.PasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


def _user(request: HttpRequest) -> User:
    # Only called behind @login_required, where request.user is a real User.
    return cast(User, request.user)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = forms.ProfileForm(
        request.POST or None, initial={"first_name": user.first_name, "last_name": user.last_name}
    )
    if request.method == "POST" and form.is_valid():
        services.profile_update(user=user, **form.cleaned_data)
        messages.success(request, "Your profile has been saved.")
        return redirect("accounts:profile")
    default_address = selectors.address_list(user=user).filter(is_default=True).first()
    return render(
        request,
        "accounts/profile_detail.html",
        {"form": form, "default_address": default_address},
    )


@login_required
def address_list(request: HttpRequest) -> HttpResponse:
    addresses = selectors.address_list(user=_user(request))
    return render(request, "accounts/address_list.html", {"addresses": addresses})


@login_required
def address_create(request: HttpRequest) -> HttpResponse:
    form = forms.AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.address_create(
            user=_user(request),
            data=form.cleaned_data,
            make_default=form.cleaned_data["make_default"],
        )
        messages.success(request, "Address saved.")
        return redirect("accounts:address_list")
    return render(request, "accounts/address_form.html", {"form": form, "creating": True})


@login_required
def address_update(request: HttpRequest, pk: int) -> HttpResponse:
    address = get_object_or_404(selectors.address_list(user=_user(request)), pk=pk)
    form = forms.AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        services.address_update(
            address=address,
            data=form.cleaned_data,
            make_default=form.cleaned_data["make_default"],
        )
        messages.success(request, "Address updated.")
        return redirect("accounts:address_list")
    return render(request, "accounts/address_form.html", {"form": form, "address": address})


@login_required
def address_delete(request: HttpRequest, pk: int) -> HttpResponseBase:
    address = get_object_or_404(selectors.address_list(user=_user(request)), pk=pk)
    if request.method == "POST":
        services.address_delete(address=address)
        messages.success(request, "Address deleted.")
        return redirect("accounts:address_list")
    return render(request, "accounts/address_confirm_delete.html", {"address": address})


@require_POST
@login_required
def address_make_default(request: HttpRequest, pk: int) -> HttpResponseBase:
    address = get_object_or_404(selectors.address_list(user=_user(request)), pk=pk)
    services.address_set_default(address=address)
    messages.success(request, "Default address changed.")
    return redirect("accounts:address_list")
