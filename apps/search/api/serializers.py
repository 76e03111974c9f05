from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.search.models import SuggestionKind
from apps.search.text import MAX_PHRASE


class SuggestionQuerySerializer(serializers.Serializer[Any]):
    q = serializers.CharField(
        max_length=MAX_PHRASE,
        trim_whitespace=True,
        help_text="What the shopper has typed so far (two characters at least to get any).",
    )


class SuggestionSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(help_text="The phrase to show.")
    kind = serializers.ChoiceField(choices=SuggestionKind.choices)
    url = serializers.CharField(
        help_text="The product or category page, or a search for the phrase (a path)."
    )


class SuggestionListSerializer(serializers.Serializer[Any]):
    suggestions = SuggestionSerializer(many=True)
