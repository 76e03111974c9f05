"""The API's JSON parser: every body it cannot take is a 400, never a crash."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Deeper than any body the API documents (a checkout's address is two levels down), and far
# below where json's own recursion gives up (~1,000) or any later walk over the data could.
MAX_DEPTH = 32
TOO_DEEP = f"JSON parse error - nested deeper than {MAX_DEPTH} levels."


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser, refusing bodies nested past MAX_DEPTH with a ParseError (400).

    DRF catches only ValueError: a body a few thousand levels deep raised RecursionError
    from json itself and was answered 500.
    """

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(TOO_DEEP) from error
        if _nested_deeper_than(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data


def _nested_deeper_than(data: Any, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` levels in `data`, without recursion."""
    pending = [(data, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            children = list(node.values())
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
