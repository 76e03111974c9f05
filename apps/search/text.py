"""How phrases are cut into words and normalised, the same way when stored and when typed."""

from __future__ import annotations

import re

# Letters and digits of any script; apostrophes, hyphens and the like separate words.
_WORD = re.compile(r"[^\W_]+")
# Longest phrase kept (suggestion keys, counted misses); longer input is cut, never refused.
MAX_PHRASE = 100
# What a search box's phrase must not be kept with: an e-mail address or a long number
# (a phone, card or order number) is personal data typed into the wrong box.
_PERSONAL = re.compile(r"@|\d{5,}")


def words(text: str) -> list[str]:
    """The lower-case words of `text`, in order."""
    return _WORD.findall(text.lower())


def normalise(text: str) -> str:
    """`text` as its words joined by single spaces, cut to MAX_PHRASE characters."""
    return " ".join(words(text))[:MAX_PHRASE].rstrip()


def looks_personal(text: str) -> bool:
    return _PERSONAL.search(text) is not None
