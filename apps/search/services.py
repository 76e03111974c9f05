"""Writes of the search aids: rebuilding them from the catalog, and counting misses."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.catalog.cache import catalog_version
from apps.catalog.selectors import category_index, visible_products
from apps.search import misses
from apps.search.models import SearchMiss, SearchWord, Suggestion, SuggestionKind
from apps.search.selectors import did_you_mean
from apps.search.text import MAX_PHRASE, looks_personal, normalise, words

# The catalog version the tables were last built from (kept in the cache: lost, it only
# costs one rebuild more).
BUILT_FROM = "search:terms-built-from"
FLUSH_LOCK = "search:misses:flush-lock"


@dataclass
class _Phrase:
    text: str
    weight: int = 0
    targets: set[str] = field(default_factory=set)


def search_terms_refresh(*, force: bool = False) -> bool:
    """Rebuilds suggestions and the word table from the visible catalog, unless the
    catalog has not changed since the last build. True if it rebuilt.

    Rows that stay the same are not written: a refresh after a price change (which bumps
    the catalog version but changes no text) writes nothing.
    """
    version = catalog_version()  # read first: a change during the build triggers the next
    if not force and cache.get(BUILT_FROM) == version:
        return False
    phrases: dict[tuple[str, str], _Phrase] = {}
    vocabulary: Counter[str] = Counter()
    category_weight: Counter[int] = Counter()
    rows = visible_products().order_by().values_list("title", "brand", "slug", "category_id")
    for title, brand, slug, category_id in rows.iterator(chunk_size=5000):
        _add(phrases, SuggestionKind.PRODUCT, title, slug)
        if brand:
            _add(phrases, SuggestionKind.BRAND, brand, "")
        vocabulary.update(set(words(f"{title} {brand}")))
        category_weight[category_id] += 1
    for pk, category in category_index().categories.items():
        _add(phrases, SuggestionKind.CATEGORY, category.name, category.slug, category_weight[pk])
        vocabulary.update(set(words(category.name)))
    with transaction.atomic():
        _replace_suggestions(phrases)
        _replace_words(vocabulary)
    cache.set(BUILT_FROM, version, timeout=None)
    return True


def _add(
    phrases: dict[tuple[str, str], _Phrase], kind: str, text: str, target: str, weight: int = 1
) -> None:
    key = normalise(text)
    if not key:
        return
    phrase = phrases.setdefault((kind, key), _Phrase(text.strip()[:200]))
    phrase.weight += weight
    phrase.targets.add(target)


def _replace_suggestions(phrases: dict[tuple[str, str], _Phrase]) -> None:
    wanted: dict[tuple[str, str, str], tuple[str, int]] = {}
    for (kind, key), phrase in phrases.items():
        # Two products of one title: the suggestion is a search for it, not one of them.
        target = next(iter(phrase.targets)) if len(phrase.targets) == 1 else ""
        tokens = key.split(" ")
        for start in range(len(tokens)):
            if len(tokens[start]) >= 2:
                wanted[" ".join(tokens[start:])[:MAX_PHRASE], kind, phrase.text] = (
                    target,
                    phrase.weight,
                )
    existing = {
        (key, kind, text): (pk, target, weight)
        for pk, key, kind, text, target, weight in Suggestion.objects.values_list(
            "pk", "key", "kind", "text", "target", "weight"
        ).iterator(chunk_size=5000)
    }
    stale = [pk for ident, (pk, _, _) in existing.items() if ident not in wanted]
    changed = [
        Suggestion(pk=existing[ident][0], target=target, weight=weight)
        for ident, (target, weight) in wanted.items()
        if ident in existing and existing[ident][1:] != (target, weight)
    ]
    new = [
        Suggestion(head=key[:2], key=key, kind=kind, text=text, target=target, weight=weight)
        for (key, kind, text), (target, weight) in wanted.items()
        if (key, kind, text) not in existing
    ]
    for start in range(0, len(stale), 5000):
        Suggestion.objects.filter(pk__in=stale[start : start + 5000]).delete()
    Suggestion.objects.bulk_update(changed, ["target", "weight"], batch_size=1000)
    Suggestion.objects.bulk_create(new, batch_size=2000)


def _replace_words(vocabulary: Counter[str]) -> None:
    wanted = {word[:100]: weight for word, weight in vocabulary.items() if len(word) >= 2}
    existing = dict(SearchWord.objects.values_list("word", "weight"))
    SearchWord.objects.filter(word__in=[w for w in existing if w not in wanted]).delete()
    changed = [w for w, weight in wanted.items() if w in existing and existing[w] != weight]
    for word in changed:
        SearchWord.objects.filter(word=word).update(weight=wanted[word])
    SearchWord.objects.bulk_create(
        [SearchWord(word=w, weight=weight) for w, weight in wanted.items() if w not in existing],
        batch_size=2000,
    )


def search_miss(query: str) -> str | None:
    """Counts a search that found nothing (in the cache, never a database write here) and
    returns what the shopper may have meant, from the catalog's own words."""
    phrase = normalise(query)
    if not phrase:
        return None
    if not looks_personal(query):
        misses.count(phrase)
    return did_you_mean(query=phrase)


def search_misses_flush() -> int:
    """Adds the misses counted since the last flush to the table; returns the phrases.

    One flush at a time (a lock in the cache): two would both read the hash being flushed.
    """
    if not cache.add(FLUSH_LOCK, 1, timeout=300):
        return 0
    try:
        return _flush()
    finally:
        cache.delete(FLUSH_LOCK)


def _flush() -> int:
    counts = misses.take()
    if counts:
        now = timezone.now()
        with transaction.atomic():
            known = set(
                SearchMiss.objects.filter(phrase__in=list(counts)).values_list("phrase", flat=True)
            )
            for phrase in known:
                SearchMiss.objects.filter(phrase=phrase).update(
                    count=F("count") + counts[phrase], last_seen=now
                )
            SearchMiss.objects.bulk_create(
                [SearchMiss(phrase=p, count=n) for p, n in counts.items() if p not in known]
            )
    misses.taken()
    return len(counts)
