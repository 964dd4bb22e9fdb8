"""Datasette as `datasette serve` builds it, run by uvicorn on a chosen event loop and HTTP parser.

Run `python -m bench.datasette_stack --loop asyncio --http h11 -i FILE -m METADATA --setting NAME VALUE
-p PORT`. `datasette serve` has no option for uvicorn's `loop` and `http`: it leaves both at "auto", which
picks uvloop and httptools whenever they are importable, as they are in laborwatch's venv but not after
`pip install datasette` alone (asyncio and h11). This launcher repeats what Datasette 0.65.5's `serve` does
for the options the benchmark uses (`datasette/cli.py`): the same `Datasette(...)` arguments (the
defaults of every other option of `serve`), its settings converted by its own `Setting` type, its
metadata read by its own `parse_metadata`, the startup hooks (`invoke_startup`) and database checks
(`check_databases`) each run on a fresh event loop by its own `run_sync`, and then
`uvicorn.run(ds.app(), host=..., port=..., log_level="info", lifespan="on", workers=1)` with `loop` and
`http` added. Only those two differ from `datasette serve`.
"""

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import uvicorn
from datasette.app import Datasette
from datasette.cli import Setting, check_databases, run_sync
from datasette.utils import parse_metadata

LOOPS = ("auto", "asyncio", "uvloop")
HTTPS = ("auto", "h11", "httptools")


def build(
    files: list[str], immutable: list[str], metadata: Path | None, settings: list[tuple[str, str]]
) -> Any:
    """The Datasette instance `datasette serve [FILES] -i IMMUTABLE -m METADATA --setting ...` makes."""
    converter = Setting()
    combined_settings = dict(converter.convert(pair, None, None) for pair in settings)
    metadata_data = parse_metadata(metadata.read_text(encoding="utf-8")) if metadata is not None else None
    for file in [*files, *immutable]:
        if not Path(file).exists():
            raise SystemExit(f"Invalid value: path {file!r} does not exist.")
    return Datasette(
        list(dict.fromkeys(files)),  # serve de-duplicates the files, keeping their order
        immutables=tuple(immutable),
        cache_headers=True,  # `not reload`
        cors=False,
        inspect_data=None,
        metadata=metadata_data,
        sqlite_extensions=(),
        template_dir=None,
        plugins_dir=None,
        static_mounts=(),
        settings=combined_settings,
        memory=False,
        secret=os.environ.get("DATASETTE_SECRET"),  # serve's --secret reads this variable
        version_note=None,
        pdb=False,
        crossdb=False,
        nolock=False,
    )


def main(argv: list[str] | None = None) -> int:
    """Build the app as `datasette serve` does and run it with the given loop and HTTP implementation."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        add_help=False,  # -h is the host, as in serve
    )
    parser.add_argument("files", nargs="*", help="database files (mutable)")
    parser.add_argument("-i", "--immutable", action="append", default=[], help="an immutable database file")
    parser.add_argument("-m", "--metadata", type=Path, help="metadata JSON or YAML file")
    parser.add_argument("--setting", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    parser.add_argument("-h", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=8001)
    parser.add_argument("--loop", choices=LOOPS, default="auto", help="uvicorn's event loop")
    parser.add_argument("--http", choices=HTTPS, default="auto", help="uvicorn's HTTP implementation")
    parser.add_argument("--help", action="help")
    args = parser.parse_args(argv)
    ds = build(args.files, args.immutable, args.metadata, [tuple(pair) for pair in args.setting])
    run_sync(ds.invoke_startup)
    run_sync(lambda: check_databases(ds))
    uvicorn.run(
        ds.app(),
        host=args.host,
        port=args.port,
        log_level="info",
        lifespan="on",
        workers=1,
        loop=args.loop,
        http=args.http,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
