"""Errors that services raise with a message a shopper can read."""

from __future__ import annotations


class ApplicationError(Exception):
    """A business rule said no; `message` is safe to show to the user."""

    code = "application_error"
    status_code = 400

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(ApplicationError):
    """The object does not exist, or is not the caller's to see."""

    code = "not_found"
    status_code = 404


class Conflict(ApplicationError):
    """The request collides with the current state of the object."""

    code = "conflict"
    status_code = 409
