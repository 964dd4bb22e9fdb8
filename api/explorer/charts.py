"""Charts drawn on the server as inline SVG: they need no script, and their numbers are also in tables."""

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from api.explorer.bidi import isolate


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value, and whether the value is approximate (drawn dashed)."""

    label: str
    value: float
    approximate: bool = False
    muted: bool = False


def number(value: float | None) -> str:
    """A figure as people read it: `1,234`, `2.5`; an em dash for none."""
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def figure(value: float | None, approximate: bool) -> str:
    """A worker figure with its approximation said in words: `about 70`."""
    return f"about {number(value)}" if approximate and value is not None else number(value)


def bar_chart(bars: Sequence[Bar], title: str, unit: str = "workers") -> Markup:
    """A horizontal bar chart, one row per bar, value written at the bar's end."""
    row, label_width, width = 28, 120, 480
    plot = width - label_width - 95
    top = max((bar.value for bar in bars), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {row * len(bars) + 4}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for index, bar in enumerate(bars):
        y = index * row + 2
        length = max(bar.value / top * plot, 1 if bar.value else 0)
        label = isolate(bar.label if len(bar.label) <= 15 else bar.label[:14] + "…")
        css = "bar" + (" approximate" if bar.approximate else "") + (" muted" if bar.muted else "")
        parts.append(
            f'<text class="label" x="{label_width - 8}" y="{y + 19}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="{css}" x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 8}"/>'
            f'<text class="value" x="{label_width + length + 6:.1f}" y="{y + 19}">'
            f"{escape(figure(bar.value, bar.approximate))}</text>"
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
        highest = max(run, key=lambda bar: bar.value)
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
    height, column, gap, left, bottom = 180, 44, 14, 8, 40
    width = left + len(bars) * (column + gap) + 8
    top = max((bar.value for bar in bars), default=0) or 1
    plot = height - bottom - 22
    parts = [
        f'<svg class="chart history" width="{max(width, 200)}" height="{height}" '
        f'viewBox="0 0 {max(width, 200)} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for index, bar in enumerate(bars):
        x = left + index * (column + gap)
        tall = max(bar.value / top * plot, 1 if bar.value else 0)
        y = height - bottom - tall
        css = "bar" + (" approximate" if bar.approximate else "") + (" muted" if bar.muted else "")
        parts.append(
            f'<rect class="{css}" x="{x}" y="{y:.1f}" width="{column}" height="{tall:.1f}"/>'
            f'<text class="value" x="{x + column / 2}" y="{y - 5:.1f}" text-anchor="middle">'
            f"{escape(figure(bar.value, bar.approximate))}</text>"
            f'<text class="label" x="{x + column / 2}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{escape(isolate(bar.label))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
