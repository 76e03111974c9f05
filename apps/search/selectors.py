"""Reads of the search aids: suggestions while typing, and "did you mean"."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, TrigramSimilarity
from django.urls import reverse

from apps.catalog.cache import catalog_key
from apps.catalog.selectors import ProductFilters, product_list, visible_products
from apps.core.cache import cached
from apps.search.models import SearchWord, Suggestion, SuggestionKind
from apps.search.text import normalise, words

SUGGESTIONS = 8
# Below this many characters a prefix matches too much to help.
MIN_PREFIX = 2


@dataclass(frozen=True)
class SuggestionRow:
    """A phrase to offer, what it is, and where choosing it leads."""

    text: str
    kind: str
    url: str


def suggestions(*, query: str, limit: int = SUGGESTIONS) -> list[SuggestionRow]:
    """Catalog phrases with a word starting with what was typed, most products first.

    One query on the head-and-weight index: the bucket of the first two characters, in
    weight order, filtered by the prefix, stopped at the limit.
    """
    key = normalise(query)
    if len(key) < MIN_PREFIX:
        return []
    # A phrase can start several keys ("oak ... oak"): read a few extra, keep each once.
    rows = (
        Suggestion.objects.filter(head=key[:2], key__startswith=key)
        .order_by("-weight", "id")
        .values_list("text", "kind", "target")[: limit * 2]
    )
    found: dict[tuple[str, str], SuggestionRow] = {}
    for text, kind, target in rows:
        if (kind, text) not in found:
            found[kind, text] = SuggestionRow(text, kind, _url(kind, text, target))
    return list(found.values())[:limit]


def _url(kind: str, text: str, target: str) -> str:
    if kind == SuggestionKind.PRODUCT and target:
        return reverse("catalog:product", kwargs={"slug": target})
    if kind == SuggestionKind.CATEGORY and target:
        return reverse("catalog:category", kwargs={"slug": target})
    return f"{reverse('catalog:list')}?{urlencode({'q': text})}"


def did_you_mean(*, query: str) -> str | None:
    """The query with each word the catalog does not know replaced by its nearest
    catalog word, if that finds products; else None. Cached under the catalog version."""
    phrase = normalise(query)
    if not phrase:
        return None
    (suggestion,) = cached(catalog_key("did-you-mean", phrase), lambda: (_correct(phrase),))
    return suggestion


def _correct(phrase: str) -> str | None:
    typed = words(phrase)
    known = set(SearchWord.objects.filter(word__in=typed).values_list("word", flat=True))
    corrected = [word if word in known else (_nearest(word) or word) for word in typed]
    if corrected == typed:
        return None
    candidate = " ".join(corrected)
    return candidate if _finds_products(candidate) else None


def _finds_products(phrase: str) -> bool:
    """Whether `phrase` finds a visible product. On PostgreSQL by full text alone, through
    its GIN index: the words are the catalog's own, so full text finds them if any
    product has them all, and the trigram half of the search could only add looser
    matches while costing a scan of the titles when nothing matches."""
    if not settings.IS_POSTGRES:
        return product_list(filters=ProductFilters(query=phrase)).exists()
    query = SearchQuery(phrase, search_type="websearch", config="english")
    return visible_products().filter(search_vector=query).exists()


def _nearest(word: str) -> str | None:
    """The catalog word most like `word` (trigram similarity on PostgreSQL, through the
    word table's trigram index; difflib over the words of the same initial on SQLite)."""
    if settings.IS_POSTGRES:
        nearest = (
            SearchWord.objects.filter(word__trigram_similar=word)
            .annotate(similarity=TrigramSimilarity("word", word))
            .order_by("-similarity", "-weight", "word")
            .values_list("word", flat=True)
            .first()
        )
        return nearest
    same_initial = SearchWord.objects.filter(word__startswith=word[:1]).values_list(
        "word", flat=True
    )
    matches = difflib.get_close_matches(word, list(same_initial), n=1, cutoff=0.75)
    return matches[0] if matches else None
