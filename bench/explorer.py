"""Time the explorer's pages on a generated corpus, in process: median latency and size of each page.

Build a corpus first (`python -m bench.corpus 100000 --claims-per-facility 10 --claims-per-report 100
--out /tmp/explorer.db`: 10,000 facilities), then `python -m bench.explorer sqlite:////tmp/explorer.db`.
"""

import argparse
import statistics
import sys
import time
import warnings

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.app import create_app
from api.settings import Settings


def _paths(client: TestClient, engine_url: str) -> list[str]:
    engine = create_engine(engine_url)
    with engine.connect() as db:
        facility = db.execute(text("SELECT id FROM facility ORDER BY claim_count DESC, id LIMIT 1")).scalar()
        report = db.execute(text("SELECT id FROM report ORDER BY claim_count DESC, id LIMIT 1")).scalar()
    engine.dispose()
    first = client.get("/v1/facilities?sort=-workers").json()
    cursor = first["next"].split("cursor=", 1)[1]
    return [
        "/",
        "/v1/stats",
        "/map.geojson",
        "/v1/facilities?format=geojson",
        "/facilities",
        "/v1/facilities",
        "/facilities?sort=-workers",
        f"/facilities?sort=-workers&cursor={cursor}",
        "/facilities?country=RU&min_workers=100",
        "/facilities?q=garment",
        f"/facilities/{facility}",
        "/reports",
        f"/reports/{report}",
    ]


def main(argv: list[str] | None = None) -> int:
    """Print a table of the pages' median time and size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("database_url", help="The corpus's database URL.")
    parser.add_argument("--repeat", type=int, default=20, help="Requests per page (default %(default)s).")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    settings = Settings(database_url=args.database_url, rate_limit_writes="1000000/second")
    with TestClient(create_app(settings)) as client:
        print("| page | status | median ms | max ms | bytes |\n|---|---|---|---|---|")
        for path in _paths(client, args.database_url):
            client.get(path)  # warm the caches once
            timings = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
            shown = path if len(path) < 60 else path[:57] + "..."
            print(
                f"| `{shown}` | {response.status_code} | {statistics.median(timings):.1f} | "
                f"{max(timings):.1f} | {len(response.content):,} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
