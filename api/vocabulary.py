"""The controlled vocabularies: predicates and their units, contributor roles, evidence, statuses."""

from enum import StrEnum
from typing import NamedTuple


class PredicateSpec(NamedTuple):
    """What a predicate's value is: a number in `unit`, or text (or null) without a unit."""

    numeric: bool
    unit: str | None


# Extend in code and docs; never rename (clients filter on these strings).
PREDICATES: dict[str, PredicateSpec] = {
    "worker_count": PredicateSpec(numeric=True, unit="workers"),
    "production_change": PredicateSpec(numeric=True, unit="ratio"),
    "skill_share": PredicateSpec(numeric=True, unit="percent"),
    "working_hours": PredicateSpec(numeric=True, unit="hours_per_day"),
    "sleep_hours": PredicateSpec(numeric=True, unit="hours_per_day"),
    "product_mix": PredicateSpec(numeric=False, unit=None),
    "client_demand": PredicateSpec(numeric=False, unit=None),
    "operating_status": PredicateSpec(numeric=False, unit=None),
    "rotation": PredicateSpec(numeric=False, unit=None),
    "training": PredicateSpec(numeric=False, unit=None),
    "wages": PredicateSpec(numeric=False, unit=None),
    "quota": PredicateSpec(numeric=False, unit=None),
    "profitability": PredicateSpec(numeric=False, unit=None),
    "existence": PredicateSpec(numeric=False, unit=None),
}

# Upper bounds of numbers by unit (every number is also finite and >= 0).
UNIT_MAXIMUM: dict[str, float] = {"percent": 100.0, "hours_per_day": 24.0}


class Role(StrEnum):
    """A contributor's part in a report."""

    author = "author"
    translator = "translator"
    editor = "editor"
    photographer = "photographer"
    source = "source"


class Evidence(StrEnum):
    """How the report knows what the claim says."""

    source_statement = "source_statement"
    photo_caption = "photo_caption"
    editorial = "editorial"


class Status(StrEnum):
    """An analyst's verdict on a claim; `disputed` and `retracted` claims give no figures."""

    reported = "reported"
    corroborated = "corroborated"
    disputed = "disputed"
    retracted = "retracted"


class Precision(StrEnum):
    """How exact a facility's coordinates are."""

    exact = "exact"
    city = "city"
    region = "region"
    country = "country"


class Relation(StrEnum):
    """How a report derives from another (contract 8.1): the same text, translated, or relayed."""

    reprint = "reprint"
    translation = "translation"
    cites = "cites"


class Reliability(StrEnum):
    """The Admiralty scale's grade of a source's reliability (docs/evidence.md)."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


# The words of each grade, as the explorer's badges and the docs give them.
RELIABILITY_WORDS: dict[str, str] = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY_WORDS: dict[int, str] = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}
