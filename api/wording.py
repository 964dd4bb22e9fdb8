"""Claims in words: one table saying how each predicate's value reads ("sleep 4 hours a day")."""

from typing import NamedTuple

from api.vocabulary import PREDICATES

Value = int | float | str | None


class Wording(NamedTuple):
    """How a numeric predicate reads: `{n}` is its value (or range) with its unit sign, if any."""

    template: str
    sign: str = ""  # written after each number: "10%"


# One row per numeric predicate of api/vocabulary.py (a test checks that none is missing); the
# ratio of production_change reads as a verb instead ("doubled"), see `_change`.
NUMERIC: dict[str, Wording] = {
    "worker_count": Wording("{n} workers"),
    "skill_share": Wording("{n} skilled workers", sign="%"),
    "working_hours": Wording("work {n} hours a day"),
    "sleep_hours": Wording("sleep {n} hours a day"),
}

# How text predicates are named before their value ("client demand: ...").
LABELS: dict[str, str] = {
    "product_mix": "products",
    "client_demand": "client demand",
    "operating_status": "operating status",
    "rotation": "rotation",
    "training": "training",
    "wages": "wages",
    "quota": "quota",
    "profitability": "profitability",
    "existence": "existence",
}

# Whole ratios with a verb of their own; any other ratio rises or falls.
TIMES = "\u00d7"  # the multiplication sign; escaped, as it looks like a letter x
CHANGES: dict[float, str] = {0.5: "halved", 1: "unchanged", 2: "doubled", 3: "tripled", 4: "quadrupled"}


def number(value: float | None) -> str:
    """A figure as people read it: `1,234`, `2.5`; an em dash for none."""
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def _amount(value: float, high: float | None, approximate: bool, sign: str = "") -> str:
    """`70`, `about 70`, `50 to 70`, `about 10%`: a value or a range, its approximation in words."""
    shown = f"{number(value)}{sign}"
    if high is not None and high != value:
        shown = f"{shown} to {number(high)}{sign}"
    return f"about {shown}" if approximate else shown


def _change(value: float, high: float | None, approximate: bool) -> str:
    """A production ratio as a verb and its factor: `production doubled`, `rose`, `fell`."""
    if high is not None and high != value:
        about = "about " if approximate else ""
        return f"production changed {about}{TIMES}{number(value)} to {TIMES}{number(high)}"
    verb = CHANGES.get(value) or ("rose" if value > 1 else "fell")
    return f"production {'about ' if approximate else ''}{verb} ({TIMES}{number(value)})"


def claim_in_words(
    predicate: str, value: Value, unit: str | None, approximate: bool, high: float | None = None
) -> str:
    """What a claim says, as a sentence fragment: `about 70 workers`, `sleep 4 hours a day`.

    A value in another unit than its predicate's (or of a predicate the table does not know) is written
    plainly: `predicate: value unit`.
    """
    label = LABELS.get(predicate, predicate.replace("_", " "))
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{label}: {value}" if value not in (None, "") else f"{label}: not stated"
    amount, top = float(value), (float(high) if high is not None else None)
    spec = PREDICATES.get(predicate)
    if spec is not None and unit == spec.unit:
        if predicate == "production_change":
            return _change(amount, top, approximate)
        if predicate in NUMERIC:
            wording = NUMERIC[predicate]
            return wording.template.format(n=_amount(amount, top, approximate, wording.sign))
    unit_words = f" {unit.replace('_', ' ')}" if unit else ""
    return f"{label}: {_amount(amount, top, approximate)}{unit_words}"
