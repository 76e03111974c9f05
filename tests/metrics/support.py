"""Reading `/metrics` as Prometheus does: the text format, parsed by prometheus_client."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape, by (name, labels)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    """One sample's value; 0 for a series not there (yet), as Prometheus' sum would."""
    return found.get((name, frozenset(labels.items())), 0.0)


def series(found: Samples, name: str) -> list[dict[str, str]]:
    """The label sets of every sample named `name`."""
    return [dict(labels) for sample_name, labels in found if sample_name == name]
