"""Ingest benchmark: bundles per second through `laborwatch ingest`'s code path, YAML vs JSON, 1 vs N jobs.

Run: .venv/bin/python -m bench.ingest [--bundles 300] [--claims 30] [--database-url URL]
It writes a synthetic corpus to a temporary folder (deterministic), then loads it into a fresh database
once per configuration and prints the figures.
"""

import argparse
import json
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
import yaml

from api.changes.audit import CLI_ACTOR
from api.db.engine import make_engine
from api.db.migrate import migrate
from api.ingest.bulk import IngestOutcome, expand, ingest
from api.settings import Settings

CITIES = ["Irkutsk", "Tomsk", "Omsk", "Vladivostok", "Khabarovsk", "Dandong", "Shenyang", "Hunchun"]


def make_bundle(index: int, claims: int, rng: random.Random) -> dict[str, object]:
    """One synthetic report: a body of numbered sentences and a worker_count claim quoting each."""
    facilities = [
        {
            "id": f"bench-facility-{index % 60}-{number}",
            "name": f"Workshop {index % 60}-{number}",
            "kind": "factory",
            "sector": "garment",
            "city": rng.choice(CITIES),
            "country": "RU",
            "operator_country": "KP",
            "location": {"lat": 50 + rng.random(), "lon": 100 + rng.random(), "precision": "city"},
        }
        for number in range(5)
    ]
    sentences, claim_list = [], []
    for number in range(claims):
        workers = rng.randint(10, 500)
        facility = facilities[number % 5]["id"]
        sentence = f"Report {index} sentence {number}: workshop {facility} has about {workers} workers."
        sentences.append(sentence)
        claim_list.append(
            {
                "facility": facility,
                "predicate": "worker_count",
                "value": workers,
                "unit": "workers",
                "approximate": True,
                "quote": sentence.removesuffix("."),
                "period": {"start": None, "end": f"20{10 + index % 14}-0{1 + number % 9}-15"},
            }
        )
    return {
        "report": {
            "id": f"bench-report-{index:05d}",
            "title": f"Bench report {index}",
            "publisher": "Bench",
            "published_on": f"20{10 + index % 14}-06-01",
            "language": "en",
            "body": " ".join(sentences),
        },
        "facilities": facilities,
        "claims": claim_list,
    }


def write_corpus(folder: Path, bundles: int, claims: int, suffix: str) -> None:
    """Write `bundles` bundle files of `claims` claims each, as YAML or JSON."""
    rng = random.Random(20261128)
    folder.mkdir(parents=True)
    for index in range(bundles):
        data = make_bundle(index, claims, rng)
        text = json.dumps(data) if suffix == ".json" else yaml.safe_dump(data, sort_keys=False)
        (folder / f"b{index:05d}{suffix}").write_text(text, encoding="utf-8")


def run(database_url: str | None, folder: Path, jobs: int, scratch: Path) -> tuple[float, int]:
    """Load `folder` into a fresh database; return seconds and bundles added."""
    schema = None
    if database_url is None:
        url = f"sqlite:///{scratch / f'{uuid.uuid4().hex}.db'}"
    else:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(database_url)
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = f"{database_url}{'&' if '?' in database_url else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(Settings(database_url=url))
    try:
        migrate(engine)
        items: list[Path | IngestOutcome] = expand([folder])
        started = time.perf_counter()
        outcomes = ingest(engine, items, CLI_ACTOR, jobs=jobs)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
        if schema is not None:
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()
    return seconds, sum(outcome.status == "added" for outcome in outcomes)


def main() -> None:
    """Parse arguments, build the corpora, run each configuration and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundles", type=int, default=300)
    parser.add_argument("--claims", type=int, default=30, help="claims per bundle")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL; SQLite files by default")
    args = parser.parse_args()
    jobs = min(4, os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as temporary:
        scratch = Path(temporary)
        total_claims = args.bundles * args.claims
        print(f"{args.bundles} bundles x {args.claims} claims = {total_claims} claims; cpus={os.cpu_count()}")
        print(f"{'format':6} {'jobs':>4} {'seconds':>8} {'bundles/s':>10} {'claims/s':>9}")
        for suffix in (".yaml", ".json"):
            folder = scratch / suffix.strip(".")
            write_corpus(folder, args.bundles, args.claims, suffix)
            for job_count in sorted({1, jobs}):
                seconds, added = run(args.database_url, folder, job_count, scratch)
                if added != args.bundles:
                    raise SystemExit(f"only {added} of {args.bundles} bundles were added")
                print(
                    f"{suffix.strip('.'):6} {job_count:>4} {seconds:>8.2f} "
                    f"{args.bundles / seconds:>10.1f} {total_claims / seconds:>9.0f}"
                )


if __name__ == "__main__":
    main()
