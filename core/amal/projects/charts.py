"""Server-side SVG charts for the project page: no JavaScript (the CSP allows no
inline script) and readable on a projector at the network coordination meeting.
Colours and sizes are presentation attributes, which the CSP does not restrict."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

from amal.projects.services import Series

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 44, 18, 50
ACTUAL, PLANNED, TARGET, OTHER = "#1f5fa8", "#8a8a8a", "#c0392b", "#e08e0b"


def _slot_x(index: int, count: int) -> float:
    """The centre of bar ``index`` of ``count``, inside the plot area."""
    return LEFT + (WIDTH - LEFT - RIGHT) * (index + 0.5) / count


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * index / (count - 1) if count > 1 else span / 2)


def _y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top if top else 1)


def _nice_top(value: float) -> float:
    """A top for four whole-number gridlines at or above ``value``."""
    quarter = max(value / 4, 1)
    magnitude = 10 ** math.floor(math.log10(quarter))
    step = next(s * magnitude for s in (1, 2, 3, 4, 5, 6, 8, 10) if quarter <= s * magnitude)
    return 4 * step


def _frame(months: Sequence[date], top: float, unit: str = "", bars: bool = False) -> list[str]:
    parts = []
    for i in range(5):
        value = top * i / 4
        y = _y(value, top)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#dddddd" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="15" text-anchor="end" '
            f'fill="#333333">{value:g}{unit}</text>'
        )
    step = max(1, math.ceil(len(months) / 5))
    last = len(months) - 1
    for i, month in enumerate(months):
        if (last - i) % step == 0:  # counted from the latest month, which is always labelled
            x = _slot_x(i, len(months)) if bars else _x(i, len(months))
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" font-size="15" '
                f'text-anchor="middle" fill="#333333">{month:%d/%m/%Y}</text>'
            )
    parts.append(
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="#333333" stroke-width="1"/>'
    )
    return parts


def _legend(items: Sequence[tuple[str, str, bool]]) -> str:
    parts, x = [], LEFT
    for label, colour, dashed in items:
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        parts.append(
            f'<line x1="{x}" y1="{HEIGHT - 10}" x2="{x + 22}" y2="{HEIGHT - 10}" '
            f'stroke="{colour}" stroke-width="3"{dash}/>'
            f'<text x="{x + 28}" y="{HEIGHT - 6}" font-size="15" fill="#333333">'
            f"{escape(label)}</text>"
        )
        x += 44 + 8 * len(label)
    return "".join(parts)


def _svg(title: str, body: Sequence[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def progress_chart(
    title: str,
    actual: Series,
    planned: Series | None,
    target: float,
    labels: tuple[str, str, str],
) -> Markup:
    """Cumulative actual (solid) against the calendar (dashed) and the target (red line)."""
    months = [m for m, _ in actual.points]
    if not months:
        return _svg(title, [])
    highest = max([target, *(v for _, v in actual.points)])
    if planned:
        highest = max(highest, *(v for _, v in planned.points))
    top = _nice_top(highest * 1.1)
    body = _frame(months, top)
    if target:
        y = _y(target, top)
        body.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="{TARGET}" stroke-width="2"/>'
        )
    for series, colour, dashed in ((planned, PLANNED, True), (actual, ACTUAL, False)):
        if series is None:
            continue
        points = " ".join(
            f"{_x(i, len(months)):.1f},{_y(v, top):.1f}" for i, (_, v) in enumerate(series.points)
        )
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="3"{dash}/>'
        )
    last_x, last = _x(len(months) - 1, len(months)), actual.points[-1][1]
    body.append(
        f'<text x="{last_x - 4:.1f}" y="{_y(last, top) - 8:.1f}" font-size="17" font-weight="bold" '
        f'text-anchor="end" fill="{ACTUAL}">{last:g}</text>'
    )
    legend = [(labels[0], ACTUAL, False)]
    if planned:
        legend.append((labels[1], PLANNED, True))
    if target:
        legend.append((f"{labels[2]} {target:g}", TARGET, False))
    body.append(_legend(legend))
    return _svg(title, body)


def rate_chart(title: str, series: Series, legend: str) -> Markup:
    """Monthly bars in percent; months without registers are left empty."""
    months = [m for m, _ in series.points]
    if not months:
        return _svg(title, [])
    body = _frame(months, 100, "%", bars=True)
    slot = (WIDTH - LEFT - RIGHT) / max(len(months), 1)
    for i, (_, value) in enumerate(series.points):
        if math.isnan(value):
            continue
        x = _slot_x(i, len(months)) - slot * 0.3
        y = _y(value, 100)
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" '
            f'height="{HEIGHT - BOTTOM - y:.1f}" fill="{ACTUAL}"/>'
            f'<text x="{x + slot * 0.3:.1f}" y="{y - 4:.1f}" font-size="14" '
            f'text-anchor="middle" fill="#333333">{value:.0f}</text>'
        )
    body.append(_legend([(legend, ACTUAL, False)]))
    return _svg(title, body)


def paired_bars(
    title: str, rows: Sequence[tuple[str, float | None, float | None]], labels: tuple[str, str]
) -> Markup:
    """Per group: two bars (e.g. WHO-5 at entry and latest, 0-100)."""
    rows = [r for r in rows if r[1] is not None and r[2] is not None]
    body = []
    for i in range(5):
        value = 25 * i
        y = _y(value, 100)
        body.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#dddddd" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="15" text-anchor="end" '
            f'fill="#333333">{value}</text>'
        )
    slot = (WIDTH - LEFT - RIGHT) / max(len(rows), 1)
    for i, (name, before, after) in enumerate(rows):
        width = min(slot * 0.33, 70)
        x0 = LEFT + slot * (i + 0.5) - width
        for j, (value, colour) in enumerate(((before, PLANNED), (after, ACTUAL))):
            y = _y(value or 0, 100)
            x = x0 + j * width
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
                f'height="{HEIGHT - BOTTOM - y:.1f}" fill="{colour}"/>'
                f'<text x="{x + width / 2:.1f}" y="{y - 4:.1f}" font-size="15" '
                f'text-anchor="middle" fill="#333333">{value:g}</text>'
            )
        body.append(
            f'<text x="{x0 + width:.1f}" y="{HEIGHT - BOTTOM + 18}" font-size="15" '
            f'text-anchor="middle" fill="#333333">{escape(name)}</text>'
        )
    body.append(
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="#333333" stroke-width="1"/>'
    )
    body.append(_legend([(labels[0], PLANNED, False), (labels[1], ACTUAL, False)]))
    return _svg(title, body)
