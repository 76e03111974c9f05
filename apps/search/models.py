"""Data made for search aids: suggestion keys, the catalog's words, and searches that missed."""

from __future__ import annotations

from django.db import models


class SuggestionKind(models.TextChoices):
    PRODUCT = "product", "Product"
    BRAND = "brand", "Brand"
    CATEGORY = "category", "Category"


class Suggestion(models.Model):
    """A phrase offered while a shopper types (a product title, brand or category name),
    stored once per word it can be found by: "Oak Dining Table" under "oak dining table",
    "dining table" and "table", so a prefix of any of its words finds it.

    Rebuilt from the catalog by `search_terms_refresh`; never edited by hand.
    """

    # The key's first two characters: an equality the index can walk in weight order, so a
    # prefix query reads its bucket best-first and stops at the limit, whatever collation
    # the database sorts text in (a LIKE prefix on a btree needs the "C" collation).
    head = models.CharField(max_length=2)
    key = models.CharField(max_length=100)
    text = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=SuggestionKind.choices)
    # The product's or category's slug; blank when the suggestion is a search for the text.
    target = models.CharField(max_length=220, blank=True)
    # How many visible products the phrase stands for: the best suggestions come first.
    weight = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "kind", "text"], name="suggestion_unique")
        ]
        indexes = [models.Index(fields=["head", "-weight", "id"], name="suggestion_head_weight")]

    def __str__(self) -> str:
        return f"{self.text} ({self.kind})"


class SearchWord(models.Model):
    """A word of the catalog's titles, brands and category names, with the number of
    products that use it: what "did you mean" corrects a misspelt word to."""

    word = models.CharField(max_length=100, unique=True)
    weight = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.word


class SearchMiss(models.Model):
    """A normalised search phrase that found nothing, and how often. Nothing about who
    searched (no user, no address, no time of each search) is kept."""

    phrase = models.CharField(max_length=100, unique=True)
    count = models.PositiveBigIntegerField(default=0)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "search without results"
        verbose_name_plural = "searches without results"
        indexes = [models.Index(fields=["-count", "phrase"], name="searchmiss_count")]

    def __str__(self) -> str:
        return self.phrase
