"""Small charts drawn on the server as SVG: no script, readable on a phone, printable."""

from collections.abc import Collection, Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

GREEN, AMBER, RED, GREY = "#198754", "#ffc107", "#dc3545", "#adb5bd"
PENDING_NOTE = _("đang diễn ra, chưa khóa sổ")
RATING_COLOURS = {"good": GREEN, "fair": "#20c997", "average": AMBER, "poor": RED}


def colour_for_percent(percent: float) -> str:
    return GREEN if percent >= 90 else AMBER if percent >= 60 else RED


def column_chart(
    points: Sequence[tuple[str, float]], title: str, pending: Collection[str] = ()
) -> SafeString:
    """Percentages (0–100) as columns, one per label (e.g. per month); the labels in
    ``pending`` (periods still in progress) are drawn grey and say so, never judged by colour."""
    width, height, top, bottom = 320, 150, 12, 24
    step = width / max(len(points), 1)
    bars = []
    for index, (label, value) in enumerate(points):
        value = max(0.0, min(100.0, value))
        bar_height = (height - top - bottom) * value / 100
        x = index * step + step * 0.15
        y = height - bottom - bar_height
        colour = GREY if label in pending else colour_for_percent(value)
        note = f" ({escape(PENDING_NOTE)})" if label in pending else ""
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{bar_height:.1f}" '
            f'fill="{colour}"><title>{escape(label)}: {value:.0f}%{note}</title></rect>'
            f'<text x="{x + step * 0.35:.1f}" y="{y - 2:.1f}" font-size="8" text-anchor="middle">'
            f"{value:.0f}</text>"
            f'<text x="{x + step * 0.35:.1f}" y="{height - 10}" font-size="7" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    # Every text that goes into the SVG went through escape() above; numbers are formatted.
    return mark_safe(  # nosec B308 B703
        f'<svg viewBox="0 0 {width} {height}" role="img" class="w-100" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<line x1="0" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        f'stroke="{GREY}"/>{"".join(bars)}</svg>'
    )


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[tuple[object, int, str]]]], title: str
) -> SafeString:
    """One horizontal bar per label, split into coloured parts (label, count, colour)."""
    label_width, width, row_height = 110, 320, 16
    height = row_height * max(len(rows), 1) + 4
    parts = []
    for index, (label, segments) in enumerate(rows):
        total = sum(count for _, count, _ in segments) or 1
        y = index * row_height + 2
        parts.append(
            f'<text x="{label_width - 4}" y="{y + 11}" font-size="8" text-anchor="end">'
            f"{escape(label[:28])}</text>"
        )
        x = float(label_width)
        for name, count, colour in segments:
            part = (width - label_width) * count / total
            if part <= 0:
                continue
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{part:.1f}" height="{row_height - 4}" '
                f'fill="{colour}"><title>{escape(label)} — {escape(name)}: {count}</title></rect>'
            )
            x += part
    # Every text that goes into the SVG went through escape() above; numbers are formatted.
    return mark_safe(  # nosec B308 B703
        f'<svg viewBox="0 0 {width} {height}" role="img" class="w-100" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(parts)}</svg>'
    )
