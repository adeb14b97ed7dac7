"""Charts drawn on the server as SVG: no chart library, nothing to load, readable without JavaScript, and the
page's script turns any of them into a PNG. Colours come from attributes (never ``style``), so the strict
Content-Security-Policy holds; every text goes through ``escape``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cityops.dashboard.bands import Threshold

__all__ = ["line_chart", "sparkline"]


def _fmt(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}".replace(",", ".")
    return f"{value:.1f}".replace(".", ",")


def sparkline(values: Sequence[float | None], *, width: int = 120, height: int = 32, label: str = "") -> SafeString:
    """A small trend line for a tile; gaps (None) break the line."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return mark_safe("")  # noqa: S308 -- constant
    low = min(v for _i, v in points)
    high = max(v for _i, v in points)
    span = (high - low) or 1.0
    step = width / max(1, len(values) - 1)
    coords = " ".join(f"{i * step:.1f},{height - 3 - (v - low) / span * (height - 6):.1f}" for i, v in points)
    return mark_safe(  # noqa: S308 -- numbers and an escaped label only
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(label)}"><polyline points="{coords}" fill="none" stroke="currentColor" '
        f'stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/></svg>'
    )


def line_chart(
    series: Sequence[tuple[dt.datetime, float]],
    *,
    title: str,
    unit: str = "",
    thresholds: Sequence[Threshold] = (),
    width: int = 900,
    height: int = 320,
) -> SafeString:
    """A time-series line with horizontal threshold lines and labelled axes, sized by its viewBox."""
    left, right, top, bottom = 56, 48, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" data-chart-title="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" class="chart-bg" fill="#ffffff" fill-opacity="0"/>',
        f'<text x="{left}" y="18" class="chart-title" font-size="14" fill="currentColor">{escape(title)}'
        f"{' (' + escape(unit) + ')' if unit else ''}</text>",
    ]
    if not series:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="currentColor" font-size="14">–</text>'
        )
        parts.append("</svg>")
        return mark_safe("".join(parts))  # noqa: S308 -- built from numbers and escaped text
    times = [t.timestamp() for t, _v in series]
    values = [v for _t, v in series]
    low = min([*values, *(t.value for t in thresholds)])
    high = max([*values, *(t.value for t in thresholds)])
    pad = (high - low) * 0.08 or 1.0
    low, high = low - pad, high + pad
    t0, t1 = times[0], times[-1] if times[-1] > times[0] else times[0] + 1

    def x(t: float) -> float:
        return left + (t - t0) / (t1 - t0) * plot_w

    def y(v: float) -> float:
        return top + plot_h - (v - low) / (high - low) * plot_h

    for i in range(5):
        value = low + (high - low) * i / 4
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="currentColor" '
            f'stroke-opacity="0.15"/><text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="currentColor">{_fmt(value)}</text>'
        )
    tz = timezone.get_default_timezone()
    for i in range(5):
        t = t0 + (t1 - t0) * i / 4
        label = dt.datetime.fromtimestamp(t, tz).strftime("%d/%m %H:%M")
        parts.append(
            f'<text x="{x(t):.1f}" y="{height - 12}" text-anchor="middle" font-size="11" fill="currentColor">'
            f"{label}</text>"
        )
    for limit in thresholds:
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(limit.value):.1f}" y2="{y(limit.value):.1f}" '
            f'stroke="#d7263d" stroke-width="1.5" stroke-dasharray="6 4" class="threshold"/>'
            f'<text x="{left + plot_w - 4}" y="{y(limit.value) - 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#d7263d">{escape(str(limit.label))} · {_fmt(limit.value)}</text>'
        )
    coords = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in zip(times, values, strict=True))
    parts.append(f'<polyline points="{coords}" fill="none" stroke="#2f80ed" stroke-width="2" stroke-linejoin="round"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 -- built from numbers and escaped text
