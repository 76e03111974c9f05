"""Users sign in with their e-mail address; each keeps an address book."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django_countries.fields import CountryField

from apps.core.models import TimeStampedModel


class EmailUserManager(UserManager["User"]):
    """Creates users keyed by a normalised e-mail address instead of a username."""

    use_in_migrations = True

    def _create_user_with_email(
        self, email: str, password: str | None, **extra_fields: Any
    ) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user_with_email(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user_with_email(email, password, **extra_fields)

    def get_by_natural_key(self, username: str | None) -> User:
        # Sign-in is case-insensitive: "Ann@Example.com" is the same person as "ann@...".
        return self.get(email__iexact=normalize_email(username or ""))


def normalize_email(email: str) -> str:
    """Lower-cases the whole address: shops treat e-mail as case-insensitive."""
    return email.strip().lower()


def customer_key(*, user_id: int | None, email: str) -> str:
    """Who a customer is, for limits per customer: the account, or a guest's e-mail.

    A guest is known only by the normalised address they type: a second address makes a
    second customer (the limit stops a careless or casual repeat, not a determined one).
    """
    return f"user:{user_id}" if user_id else f"email:{normalize_email(email)}"


class User(AbstractUser):
    """A customer or a staff member; the e-mail address is the login."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("e-mail address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[EmailUserManager] = EmailUserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email


class Address(TimeStampedModel):
    """A postal address in a user's address book; at most one is the default."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    full_name = models.CharField(max_length=150)
    line1 = models.CharField("address line 1", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20)
    country = CountryField()
    phone = models.CharField(max_length=30, blank=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_default=True),
                name="accounts_address_one_default_per_user",
            ),
        ]
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return f"{self.full_name}, {self.line1}, {self.city}"

    @property
    def lines(self) -> list[str]:
        parts = [self.full_name, self.line1, self.line2]
        parts.append(" ".join(p for p in [self.postal_code, self.city] if p))
        parts += [self.region, str(self.country.name)]  # type: ignore[attr-defined]
        return [p for p in parts if p]
