"""Bar charts as server-drawn SVG: no script, nothing for the CSP to allow.

Each bar carries a <title> (the exact figure, shown on hover by the browser), and the
page puts the same figures in a table beside the chart, for screen readers and copying.
Geometry is in floats (pixels); the figures themselves stay Decimal and are printed as is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString

WIDTH = 640
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 12, 28
GRID_LINES = 4
MAX_X_LABELS = 8


def nice_ceiling(value: float, steps: int = GRID_LINES) -> float:
    """The smallest 1, 2 or 5 times a power of ten that, times `steps`, reaches `value`."""
    if value <= 0:
        return float(steps)
    raw = value / steps
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power * steps
    return 10 * power * steps  # pragma: no cover (the loop always reaches 10)


def _axis_label(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:g}"


def bar_chart(
    labels: Sequence[str], values: Sequence[Decimal | int], *, title: str, chart_id: str
) -> SafeString:
    """One bar per label, scaled to a round maximum, with four labelled grid lines."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    top = nice_ceiling(float(max(values, default=0)))
    slot = plot_w / max(len(values), 1)
    bar_w = max(slot * 0.8, 0.5)

    lines = []
    for i in range(GRID_LINES + 1):
        y = f"{TOP + plot_h - plot_h * i / GRID_LINES:.1f}"
        lines.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" class="grid" stroke="#ddd"/>'
                '<text x="{}" y="{}" class="axis" text-anchor="end" dy="4">{}</text>',
                LEFT,
                y,
                WIDTH - RIGHT,
                y,
                LEFT - 6,
                y,
                _axis_label(top * i / GRID_LINES),
            )
        )
    bars = []
    every = math.ceil(len(labels) / MAX_X_LABELS) if labels else 1
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = plot_h * max(float(value), 0) / top
        x = LEFT + slot * i + (slot - bar_w) / 2
        bars.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" class="bar" fill="#417690">'
                "<title>{}: {}</title></rect>",
                f"{x:.2f}",
                f"{TOP + plot_h - height:.2f}",
                f"{bar_w:.2f}",
                f"{height:.2f}",
                label,
                value,
            )
        )
        if i % every == 0:
            bars.append(
                format_html(
                    '<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>',
                    f"{LEFT + slot * i + slot / 2:.1f}",
                    HEIGHT - 8,
                    label,
                )
            )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" class="report-chart" '
        'role="img" aria-labelledby="{}-title"><title id="{}-title">{}</title>{}{}</svg>',
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        title,
        SafeString("".join(lines)),
        SafeString("".join(bars)),
    )
