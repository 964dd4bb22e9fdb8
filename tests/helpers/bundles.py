"""Bundles for the tests: the shared valid bundle and its variants."""

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from api.db.engine import write_session
from api.ingest.loader import LoadResult, load_bundle, parse_bundle

BODY = (
    "A workshop in Khabarovsk employs about 40 North Korean seamstresses.\n"
    "Some  of them work 16 hours a day, and only about 20% are trained.\u00a0The workshop pays no wages."
)


def bundle(**changes: Any) -> dict[str, Any]:
    """A valid bundle; `changes` replaces top-level parts."""
    data: dict[str, Any] = {
        "report": {
            "id": "khabarovsk-workshop",
            "title": "A workshop in Khabarovsk",
            "publisher": "Test Monitor",
            "url": None,
            "published_on": "2024-05-01",
            "language": "en",
            "contributors": [{"name": "Ana Author", "role": "author"}],
            "source": "a worker",
            "body": BODY,
        },
        "facilities": [
            {
                "id": "khabarovsk-workshop",
                "name": "Sewing workshop in Khabarovsk",
                "aliases": ["Workshop K"],
                "kind": "workshop",
                "sector": "garment",
                "city": "Khabarovsk",
                "region": "Khabarovsk Krai",
                "country": "RU",
                "operator_country": "KP",
                "location": {"lat": 48.48, "lon": 135.08, "precision": "city"},
            }
        ],
        "claims": [
            {
                "facility": "khabarovsk-workshop",
                "predicate": "worker_count",
                "value": 40,
                "unit": "workers",
                "approximate": True,
                "quote": "employs about 40 North Korean seamstresses",
                "attributed_to": "a worker",
                "evidence": "source_statement",
            },
            {
                "facility": "khabarovsk-workshop",
                "predicate": "working_hours",
                "value": 16,
                "unit": "hours_per_day",
                "quote": "Some of them work 16 hours a day",
            },
            {
                "facility": "khabarovsk-workshop",
                "predicate": "skill_share",
                "value": 20,
                "unit": "percent",
                "approximate": True,
                "quote": "only about 20% are trained. The workshop",
            },
        ],
    }
    data.update(changes)
    return data


def second_facility() -> dict[str, Any]:
    data = bundle()
    data["report"].update(id="second-report", body="The Khabarovsk sewing shop has 38 workers.")
    data["facilities"] = [{"id": "khabarovsk-sewing-shop", "name": "Khabarovsk sewing shop", "country": "RU"}]
    data["claims"] = [
        {
            "facility": "khabarovsk-sewing-shop",
            "predicate": "worker_count",
            "value": 38,
            "unit": "workers",
            "quote": "has 38 workers",
        }
    ]
    return data


def report_bundle(**fields: Any) -> dict[str, Any]:
    """The test bundle with other report fields (another `id`: another report)."""
    return bundle(report={**bundle()["report"], **fields})


SHARED = "khabarovsk-workshop"  # the facility every bundle of `report()` names


def report(index: int, workers: int, period_end: str | None = None) -> dict[str, Any]:
    """A bundle of its own report id and body, naming the shared facility with a worker figure."""
    data = bundle()
    data["report"]["id"] = f"report-{index}"
    data["report"]["published_on"] = f"202{index}-01-01"
    data["report"]["body"] = f"Report {index} says the workshop employs {workers} seamstresses."
    data["claims"] = [
        {
            "facility": SHARED,
            "predicate": "worker_count",
            "value": workers,
            "unit": "workers",
            "quote": f"employs {workers} seamstresses",
            "period": {"start": None, "end": period_end} if period_end else None,
        }
    ]
    return data


FUZZ_REPORT = "fuzz-report"
FUZZ_FACILITY = "fuzz-plant"
FUZZ_BODY = (
    "About 120 workers sew coats at the Fuzz plant in Irkutsk. They work 12 hours a day.\n"
    "The plant pays no wages, a worker said."
)


def fuzz_bundle(report_id: str = FUZZ_REPORT) -> dict[str, Any]:
    """A valid bundle using every field of the format, so that each field can be made hostile."""
    return {
        "report": {
            "id": report_id,
            "title": "The Fuzz plant",
            "publisher": "Fuzz Monitor",
            "url": "https://example.org/fuzz",
            "published_on": "2024-01-02",
            "language": "en",
            "contributors": [{"name": "Ana Author", "role": "author"}],
            "source": "a worker",
            "body": FUZZ_BODY,
        },
        "facilities": [
            {
                "id": FUZZ_FACILITY,
                "name": "Fuzz plant",
                "aliases": ["Plant F"],
                "kind": "factory",
                "sector": "garment",
                "operator": "Fuzz Trading",
                "operator_country": "KP",
                "city": "Irkutsk",
                "region": "Irkutsk Oblast",
                "country": "RU",
                "location": {"lat": 52.29, "lon": 104.28, "precision": "city"},
            }
        ],
        "claims": [
            {
                "facility": FUZZ_FACILITY,
                "subject": "seamstresses",
                "predicate": "worker_count",
                "value": 120,
                "unit": "workers",
                "approximate": True,
                "period": {"start": "2023-01-01", "end": "2023-12-31"},
                "quote": "About 120 workers",
                "occurrence": 1,
                "attributed_to": "a worker",
                "evidence": "source_statement",
                "status": "reported",
                "notes": "seen twice",
            },
            {
                "facility": FUZZ_FACILITY,
                "predicate": "wages",
                "value": "none",
                "quote": "pays no wages",
            },
        ],
    }


def load(engine: Engine, data: Any, base_dir: Path | None = None) -> LoadResult:
    """Load bundle data in a write transaction of its own, as the loader's callers do."""
    with write_session(engine) as session:
        return load_bundle(session, parse_bundle(data), base_dir)


DALIAN_BODY = (
    "A fish plant in Dalian employs some 300 North Korean women. Their contracts run for three years."
)


def dalian_bundle(**report: Any) -> dict[str, Any]:
    """A second invented report, about a facility in China."""
    return {
        "report": {
            "id": "dalian-fish-plant",
            "title": "A fish plant in Dalian",
            "publisher": "Test Monitor",
            "url": None,
            "published_on": "2024-06-01",
            "language": "en",
            "contributors": [],
            "source": "a visitor",
            "body": DALIAN_BODY,
            **report,
        },
        "facilities": [
            {
                "id": "dalian-fish-plant",
                "name": "Fish processing plant in Dalian",
                "aliases": [],
                "kind": "factory",
                "sector": "seafood",
                "city": "Dalian",
                "region": "Liaoning",
                "country": "CN",
                "operator_country": "CN",
                "location": None,
            }
        ],
        "claims": [
            {
                "facility": "dalian-fish-plant",
                "predicate": "worker_count",
                "value": 300,
                "unit": "workers",
                "approximate": True,
                "quote": "employs some 300 North Korean women",
                "attributed_to": "a visitor",
                "evidence": "source_statement",
            }
        ],
    }
