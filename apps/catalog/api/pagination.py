"""Keyset cursor pagination that follows whatever total ordering the selector chose."""

from __future__ import annotations

import binascii
import json
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

INVALID_CURSOR = "This cursor is not valid for this listing; start again without it."


class KeysetCursor(NamedTuple):
    """Where a page starts: the ordering values of the row before it, and the direction."""

    position: list[Any]
    reverse: bool


class KeysetCursorPagination(CursorPagination):
    """Cursor pagination on the queryset's own ordering, made unique with the primary key.

    DRF's CursorPagination keeps only the first ordering field in the cursor and skips
    duplicates with an offset, which is capped and drifts when rows change. This cursor
    holds the value of every ordering field of the last row seen and filters with the
    row comparison `(price, id) > (p, i)`, so a page is one query however many products
    share a price, and the selector stays the one place that decides the order.
    """

    page_size = 24
    cursor_query_description = (
        "Opaque cursor from the `next` or `previous` link of a previous page. It is bound to "
        "the `ordering` it was made with; an invalid or mismatched cursor answers 400."
    )

    def get_ordering(
        self, request: Request, queryset: QuerySet[Any], view: APIView | None
    ) -> tuple[str, ...]:
        order_by = queryset.query.order_by
        if not all(isinstance(field, str) and "__" not in field for field in order_by):
            raise ImproperlyConfigured("Keyset pagination needs plain field names to order by.")
        ordering = tuple(str(field) for field in order_by)
        pk_name = queryset.model._meta.pk.name
        if not ordering or ordering[-1].lstrip("-") not in ("pk", pk_name):
            descending = bool(ordering) and ordering[-1].startswith("-")
            ordering = (*ordering, f"-{pk_name}" if descending else pk_name)
        return ordering

    def paginate_queryset(
        self, queryset: QuerySet[Any] | Sequence[Any], request: Request, view: APIView | None = None
    ) -> list[Any]:
        if not isinstance(queryset, QuerySet):
            raise ImproperlyConfigured("Keyset pagination needs a queryset.")
        self.request = request
        self.page_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.keyset = self._decode(request)

        reverse = self.keyset is not None and self.keyset.reverse
        fields = _reversed(self.ordering) if reverse else self.ordering
        queryset = queryset.order_by(*fields)
        if self.keyset is not None:
            try:
                queryset = queryset.filter(_beyond(fields, self.keyset.position))
            except (ValueError, TypeError, DjangoValidationError) as exc:
                # A hand-made cursor whose values do not fit the fields' types.
                raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from exc

        rows = list(queryset[: self.page_size + 1])
        self.page = rows[: self.page_size]
        has_more = len(rows) > self.page_size
        if reverse:
            self.page.reverse()
            self.has_next, self.has_previous = True, has_more
        else:
            self.has_next, self.has_previous = has_more, self.keyset is not None
        return self.page

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        return self._link(self.page[-1] if self.page else None, reverse=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        return self._link(self.page[0] if self.page else None, reverse=True)

    def _link(self, row: Model | None, *, reverse: bool) -> str:
        # An empty page (its rows changed since the cursor was made) keeps the old position.
        if row is not None:
            position = [_json_value(getattr(row, f.lstrip("-"))) for f in self.ordering]
        else:
            assert self.keyset is not None  # noqa: S101 - only a cursor can lead to an empty page
            position = self.keyset.position
        payload = {"o": list(self.ordering), "p": position, "r": int(reverse)}
        token = urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
        return replace_query_param(self.page_url, self.cursor_query_param, token.rstrip("="))

    def _decode(self, request: Request) -> KeysetCursor | None:
        token = request.query_params.get(self.cursor_query_param)
        if token is None:
            return None
        try:
            payload = json.loads(urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            ordering, position, reverse = payload["o"], payload["p"], payload["r"]
        except (ValueError, TypeError, KeyError, binascii.Error) as exc:
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from exc
        # A cursor made under another ordering points nowhere meaningful in this one.
        if (
            ordering != list(self.ordering)
            or not isinstance(position, list)
            or len(position) != len(self.ordering)
            or not all(isinstance(value, str | int | float) for value in position)
            or reverse not in (0, 1)
        ):
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]})
        return KeysetCursor(position=position, reverse=bool(reverse))


def _beyond(fields: Sequence[str], position: Sequence[Any]) -> Q:
    """Rows strictly after `position` in `fields` order: (a, b) > (x, y) spelt out in Q."""
    after: Q | None = None
    for field, value in reversed(list(zip(fields, position, strict=True))):
        name = field.lstrip("-")
        strictly = Q(**{f"{name}__{'lt' if field.startswith('-') else 'gt'}": value})
        after = strictly if after is None else strictly | (Q(**{name: value}) & after)
    if after is None:
        return Q()
    # Implied by the comparison, but spelt out so that PostgreSQL starts the index scan at
    # the cursor instead of reading (and filtering out) every row before it.
    first, value = fields[0], position[0]
    return Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": value}) & after


def _reversed(ordering: Sequence[str]) -> tuple[str, ...]:
    return tuple(field[1:] if field.startswith("-") else f"-{field}" for field in ordering)


def _json_value(value: Any) -> Any:
    # Full precision both ways: DjangoJSONEncoder would cut datetimes to milliseconds, and
    # a cursor that is off by a microsecond skips or repeats rows.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


_COUNT_SCHEMA = {
    "count": {
        "type": "integer",
        "minimum": 0,
        "description": "How many products match: exact when `count_exact` is true, else "
        "a lower bound (the listing stops counting there, and shows `1,000+`).",
    },
    "count_exact": {"type": "boolean", "description": "Whether `count` is exact."},
    "facets": {
        "type": "array",
        "description": "Option names with the values on offer in the listing's categories "
        "and how many of their products offer each (not narrowed by the other filters). "
        "Without `category`, only the few commonest names and values.",
        "items": {
            "type": "object",
            "required": ["name", "values"],
            "properties": {
                "name": {"type": "string"},
                "values": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["value", "count", "selected"],
                        "properties": {
                            "value": {"type": "string"},
                            "count": {"type": "integer", "minimum": 0},
                            "selected": {"type": "boolean"},
                        },
                    },
                },
            },
        },
    },
}


class ProductListingPagination(KeysetCursorPagination):
    """The product listing's pages, which also carry the listing's count and facets (the
    view adds them: they come from the listing's selectors, not from the page)."""

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paged = super().get_paginated_response_schema(schema)
        return {
            **paged,
            "required": ["count", "count_exact", "facets", *paged.get("required", [])],
            "properties": {**_COUNT_SCHEMA, **paged["properties"]},
        }
