"""Issue 18's probe measured: /health under a flood of heavy reads, a 20,000-figure history, a big 422.

`python -m bench.stall [--database-url URL]` builds a fresh database (a SQLite file, or a schema of the
PostgreSQL server named), serves the app on 127.0.0.1 in this process and prints one JSON object of
figures. It uses only settings and endpoints every version has, so it measures a checkout before the
change as well (run it with that checkout first on `PYTHONPATH`).
"""

import argparse
import json
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy import Engine, text

from api.app import create_app
from api.auth.keys import create_key
from api.db.engine import make_engine, write_session
from api.db.migrate import migrate
from api.settings import Settings
from tests.helpers.bundles import bundle, load
from tests.helpers.limits import NUMBERS, bulk_facilities
from tests.served import serving

FACILITY = "khabarovsk-workshop"
MORE_FIGURES = (
    "INSERT INTO claim (id, report_id, facility_id, position, subject, predicate, value_number, value_text, "
    "unit, approximate, period_start, period_end, quote, span_start, span_end, attributed_to, evidence, "
    "status, notes, dated_on, search_text) SELECT 'figure-' || i, report_id, facility_id, position + i, "
    "subject, predicate, value_number + i, value_text, unit, approximate, period_start, period_end, quote, "
    "span_start, span_end, attributed_to, evidence, status, notes, {dated}, search_text FROM claim, "
)
DATED = {"sqlite": "date('2001-01-01', '+' || i || ' days')", "postgresql": "DATE '2001-01-01' + i"}


def build(engine: Engine, figures: int, facilities: int) -> str:
    """Migrate, load the test bundle, give its facility `figures` figures, add bulk facilities; a key."""
    migrate(engine)
    load(engine, bundle())
    dialect = engine.dialect.name
    sql = (
        MORE_FIGURES.format(dated=DATED[dialect])
        + NUMBERS[dialect]
        + " WHERE claim.predicate = 'worker_count'"
    )
    with engine.begin() as connection:
        connection.execute(text(sql), {"count": figures - 1})
    bulk_facilities(engine, facilities)
    with write_session(engine) as session:
        return create_key(session, "bench")


def timed(client: httpx.Client, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    started = time.perf_counter()
    response = client.request(method, url, **kwargs)
    return {
        "status": response.status_code,
        "bytes": len(response.content),
        "seconds": round(time.perf_counter() - started, 3),
    }


def flood(base: str, seconds: float, flooders: int) -> dict[str, Any]:
    """Heavy reads from one address for `seconds`; meanwhile /health and a detail from another, timed."""
    heavy: list[tuple[str, dict[str, str | int]]] = [
        ("/v1/stats", {"sector": "garment"}),
        ("/v1/facilities", {"q": "bulk", "sort": "-workers", "limit": 500}),
        ("/v1/facilities", {"sector": "garment", "sort": "-workers", "limit": 500}),
    ]
    stop = threading.Event()
    answers: list[tuple[int, float]] = []

    def run(index: int) -> None:
        path, params = heavy[index % len(heavy)]
        with httpx.Client(base_url=base, timeout=120) as client:
            while not stop.is_set():
                started = time.perf_counter()
                response = client.get(path, params=params, headers={"X-Forwarded-For": "203.0.113.7"})
                answers.append((response.status_code, time.perf_counter() - started))

    health: list[float] = []
    detail: list[float] = []
    with ThreadPoolExecutor(max_workers=flooders) as pool:
        futures = [pool.submit(run, index) for index in range(flooders)]
        time.sleep(1)
        with httpx.Client(base_url=base, timeout=120) as probe:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                headers = {"X-Forwarded-For": "198.51.100.9"}
                health.append(timed(probe, "GET", "/health", headers=headers)["seconds"])
                detail.append(timed(probe, "GET", f"/v1/facilities/{FACILITY}", headers=headers)["seconds"])
                time.sleep(0.2)
        stop.set()
        for future in futures:
            future.result()
    statuses: dict[str, int] = {}
    for status, _ in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "health_max_s": round(max(health), 3),
        "detail_max_s": round(max(detail), 3),
        "heavy_max_s": round(max(seconds for _, seconds in answers), 3),
        "heavy_statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="a PostgreSQL server; a schema of its own is made and dropped")
    parser.add_argument("--figures", type=int, default=20_000)
    parser.add_argument("--facilities", type=int, default=40_000)
    parser.add_argument("--flood-seconds", type=float, default=8)
    parser.add_argument("--flooders", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="laborwatch-stall-"))
    schema = None
    if args.database_url:
        schema = f"lw_bench_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(args.database_url)
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = sa.make_url(args.database_url).update_query_dict({"options": f"-csearch_path={schema}"})
        database_url = url.render_as_string(hide_password=False)
    else:
        database_url = f"sqlite:///{folder / 'stall.db'}"
    try:
        settings = Settings(
            database_url=database_url, trusted_proxies=["127.0.0.1/32"], max_body_bytes=8_000_000
        )
        loader = make_engine(settings)
        key = build(loader, args.figures, args.facilities)
        loader.dispose()
        engine = make_engine(settings, read_limit=True)
        figures: dict[str, Any] = {"database": engine.dialect.name}
        data = bundle()
        data["report"] |= {f"unknown_{index}": 1 for index in range(300_000)}
        body = json.dumps(data).encode()
        with serving(create_app(settings, engine)) as port:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=120) as client:
                figures["history"] = timed(client, "GET", f"/v1/facilities/{FACILITY}/workers")
                figures["facility_page"] = timed(client, "GET", f"/facilities/{FACILITY}")
                headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
                figures["422_of_300000_keys"] = timed(
                    client, "POST", "/v1/reports", content=body, headers=headers
                )
                figures["422_of_300000_keys"]["request_bytes"] = len(body)
            figures["flood"] = flood(base, args.flood_seconds, args.flooders)
        engine.dispose()
    finally:
        if schema is not None and args.database_url:
            admin = sa.create_engine(args.database_url)
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
