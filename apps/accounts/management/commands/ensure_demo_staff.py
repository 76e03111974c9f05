"""Creates the demo staff account once and prints how to sign in."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User


class Command(BaseCommand):
    help = "Create the demo staff account (once) and print its e-mail and password."

    def handle(self, *args: Any, **options: Any) -> None:
        email = settings.SHOP_DEMO_STAFF_EMAIL
        password = os.environ.get("DEMO_STAFF_PASSWORD", "")
        if not password:
            raise CommandError("DEMO_STAFF_PASSWORD is not set (make run writes one into .env).")
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            User.objects.create_superuser(email=email, password=password)
            self.stdout.write(self.style.SUCCESS("Created the demo staff account."))
        elif not user.check_password(password):
            self.stdout.write(
                f"Demo staff account {email} exists with a changed password; left as it is."
            )
            return
        self.stdout.write(f"Staff sign-in at /admin/:  {email}  /  {password}")
