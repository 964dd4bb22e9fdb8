"""The `laborwatch` command line: serve, seed (and, later, ingest, extract, keys, backup)."""

from typing import Annotated

import typer
import uvicorn

from api.db import make_engine
from api.errors import LaborwatchError
from api.ingest.seed import is_empty, seed
from api.main import create_app
from api.migrate import migrate
from api.settings import get_settings

app = typer.Typer(
    help="laborwatch: a provenance-first API of reports on overseas North Korean labour.",
    no_args_is_help=True,
    add_completion=False,
)


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


@app.command("seed")
def seed_command() -> None:
    """Migrate the database, then load every bundle under the seeds folder (idempotent)."""
    settings = get_settings()
    engine = make_engine(settings)
    try:
        migrate(engine)
        results = seed(engine, settings.seeds_dir)
    except LaborwatchError as exc:
        raise _fail(f"seed refused: {exc.detail}") from None
    finally:
        engine.dispose()
    for result in results:
        typer.echo(f"{result.status:9} {result.report_id} ({len(result.claim_ids)} claims)")
    added = sum(result.status == "added" for result in results)
    typer.echo(f"{added} added, {len(results) - added} unchanged")


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Migrate the database, seed it when it holds no report, and serve the API with uvicorn."""
    settings = get_settings()
    engine = make_engine(settings)
    try:
        migrate(engine)
        if is_empty(engine):
            for result in seed(engine, settings.seeds_dir):
                typer.echo(f"seeded {result.report_id} ({len(result.claim_ids)} claims)")
    except LaborwatchError as exc:
        raise _fail(f"seed refused: {exc.detail}") from None
    uvicorn.run(create_app(settings, engine), host=host, port=port, proxy_headers=False)
