"""The ceiling: a bare Starlette app under uvicorn answering one fixed JSON document, serialized per request.

Run `python -m bench.bare --port P [--payload FILE] [--workers N]`. The payload (by default a list of 50
small facility-like objects in the list envelope) is parsed once at start and serialized again for every
request, as any JSON endpoint does; uvicorn runs with the settings `laborwatch serve` uses.
"""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.cli.serve import loop_for

PAYLOAD_ENV = "BENCH_BARE_PAYLOAD"


def default_payload() -> dict[str, Any]:
    """A list page of 50 facility-like items, about the size of laborwatch's."""
    items = [
        {
            "id": f"bench-facility-{index:07d}",
            "name": f"Amur Garment Factory No. {index}",
            "aliases": [],
            "kind": "factory",
            "sector": "garment",
            "operator": "Korea Rungra Trading",
            "operator_country": "KP",
            "city": "Irkutsk",
            "region": "Irkutsk Oblast",
            "country": "RU",
            "location": {"lat": 52.29, "lon": 104.28, "precision": "city"},
            "workers": {"value": 120, "approximate": True, "as_of": "2020-12-31", "claim_id": "clm-0"},
            "claim_count": 10,
            "report_count": 1,
            "first_reported": "2020-06-01",
            "last_reported": "2020-06-01",
        }
        for index in range(50)
    ]
    return {"items": items, "total": 800, "limit": 50, "offset": 0, "next": None}


def _load_payload() -> Any:
    path = os.environ.get(PAYLOAD_ENV)
    if path:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    return default_payload()


PAYLOAD = _load_payload()


async def fixed(_request: Request) -> JSONResponse:
    """The fixed document."""
    return JSONResponse(PAYLOAD)


async def health(_request: Request) -> JSONResponse:
    """Readiness, as laborwatch's /health."""
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/", fixed), Route("/health", health)])


def main(argv: list[str] | None = None) -> int:
    """Serve the app with uvicorn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--payload", type=Path, help="A JSON file to answer with (default: 50 facilities).")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if args.payload is not None:
        os.environ[PAYLOAD_ENV] = str(args.payload.resolve())
    if args.workers > 1:
        uvicorn.run(
            "bench.bare:app",
            host=args.host,
            port=args.port,
            proxy_headers=False,
            workers=args.workers,
            loop=loop_for(args.workers),
        )
    else:
        global PAYLOAD  # noqa: PLW0603 (the module is already imported; read the file given now)
        PAYLOAD = _load_payload()
        uvicorn.run(app, host=args.host, port=args.port, proxy_headers=False, loop=loop_for(1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
