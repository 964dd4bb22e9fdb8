"""Charts drawn on the server as inline SVG: they need no script, and their numbers are also in tables."""

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from api.explorer.bidi import isolate
from api.wording import number


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (None: unknown, no bar drawn), and whether it is approximate (dashed)."""

    label: str
    value: float | None
    approximate: bool = False
    muted: bool = False


def figure(value: float | None, approximate: bool) -> str:
    """A worker figure with its approximation said in words: `about 70`."""
    return f"about {number(value)}" if approximate and value is not None else number(value)


def bar_text(bar: Bar) -> str:
    """What a bar's end says: its figure, or "unknown" where no figure is known (never a zero)."""
    return "unknown" if bar.value is None else figure(bar.value, bar.approximate)


def bar_chart(bars: Sequence[Bar], title: str, unit: str = "workers") -> Markup:
    """A horizontal bar chart, one row per bar, value written at the bar's end."""
    row, label_width, width = 28, 120, 480
    plot = width - label_width - 95
    top = max((bar.value or 0 for bar in bars), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {row * len(bars) + 4}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for index, bar in enumerate(bars):
        y = index * row + 2
        length = max((bar.value or 0) / top * plot, 1 if bar.value else 0)
        label = isolate(bar.label if len(bar.label) <= 15 else bar.label[:14] + "…")
        css = "bar" + (" approximate" if bar.approximate else "") + (" muted" if bar.muted else "")
        drawn = (
            ""
            if bar.value is None
            else (
                f'<rect class="{css}" x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 8}"/>'
            )
        )
        value_css = "value" + (" unknown" if bar.value is None else "")
        parts.append(
            f'<text class="label" x="{label_width - 8}" y="{y + 19}" text-anchor="end">{escape(label)}</text>'
            f'{drawn}<text class="{value_css}" x="{label_width + length + 6:.1f}" y="{y + 19}">'
            f"{escape(bar_text(bar))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


# Columns a chart of figures over time draws at most; more figures are binned, in order.
MAX_COLUMNS = 40


def binned(bars: Sequence[Bar], most: int = MAX_COLUMNS) -> list[Bar]:
    """At most `most` columns: runs of consecutive figures become one, the highest of the run.

    Labelled by the run's last date; approximate when any figure of it is, pale when none counts.
    """
    if len(bars) <= most:
        return list(bars)
    size = -(-len(bars) // most)  # ceiling: every bin but the last holds `size` figures
    bins = []
    for start in range(0, len(bars), size):
        run = bars[start : start + size]
        highest = max(run, key=lambda bar: bar.value or 0)
        bins.append(
            Bar(
                run[-1].label,
                highest.value,
                any(bar.approximate for bar in run),
                all(bar.muted for bar in run),
            )
        )
    return bins


def column_chart(bars: Sequence[Bar], title: str) -> Markup:
    """Vertical columns in order (a facility's figures over time), dashed when approximate."""
    # A column as wide as a date label at 13px ("2026-10-01"), so no label starts left of the picture.
    height, column, gap, left, bottom = 180, 80, 12, 8, 40
    width = left + len(bars) * (column + gap) + 8
    top = max((bar.value or 0 for bar in bars), default=0) or 1
    plot = height - bottom - 22
    parts = [
        f'<svg class="chart history" width="{max(width, 200)}" height="{height}" '
        f'viewBox="0 0 {max(width, 200)} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for index, bar in enumerate(bars):
        x = left + index * (column + gap)
        tall = max((bar.value or 0) / top * plot, 1 if bar.value else 0)
        y = height - bottom - tall
        css = "bar" + (" approximate" if bar.approximate else "") + (" muted" if bar.muted else "")
        parts.append(
            f'<rect class="{css}" x="{x}" y="{y:.1f}" width="{column}" height="{tall:.1f}"/>'
            f'<text class="value" x="{x + column / 2}" y="{y - 5:.1f}" text-anchor="middle">'
            f"{escape(bar_text(bar))}</text>"
            f'<text class="label" x="{x + column / 2}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{escape(isolate(bar.label))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
