"""Background jobs for accounts."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from knox.models import get_token_model

from apps.accounts.models import User


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 5},
)
def send_password_reset_email(user_id: int) -> None:
    """E-mails a one-time password reset link to the user.

    The token is made here, not in the request: it is derived from the user's current
    password hash and last login, so it stops working as soon as either changes.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    context = {
        "user": user,
        "reset_url": f"{settings.SITE_URL}{path}",
        "shop_name": settings.SHOP_NAME,
        "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    message = EmailMultiAlternatives(
        subject=f"Reset your {settings.SHOP_NAME} password",
        body=render_to_string("emails/password_reset.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("emails/password_reset.html", context), "text/html")
    message.send()


@shared_task
def purge_expired_tokens() -> int:
    """Deletes expired API tokens (requests only check the token they present)."""
    deleted, _ = get_token_model().objects.filter(expiry__lt=timezone.now()).delete()
    return int(deleted)
