"""The `laborwatch` command line: serve, seed, ingest, extract, keys, backup, export, recompute, deliver."""

import sys
from importlib.metadata import version
from typing import Annotated

import typer
from sqlalchemy import func, select

from api.cli.commands import (
    announce_database,
    backup_command,
    command_group,
    export_command,
    fail,
    ingest_command,
    keys_app,
    open_database,
)
from api.cli.deliver import deliver_command
from api.cli.serve import prepare, run
from api.db.engine import write_session
from api.db.migrate import migrate
from api.db.version import bump_data_version
from api.errors import LaborwatchError
from api.facilities.figures import recompute_all_figures
from api.ingest.seed import seed
from api.reports.lineage import recompute_all_origins
from api.settings import get_settings
from models import Facility

app = command_group("laborwatch: a provenance-first API of reports on overseas North Korean labour.")


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"laborwatch {version('laborwatch')}")
        raise typer.Exit


@app.callback()
def main(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """laborwatch: a provenance-first API of reports on overseas North Korean labour.

    Every command that opens the database first names it on stderr (a SQLite file by its absolute path).
    """


app.add_typer(keys_app, name="keys")
app.command("ingest")(ingest_command)
app.command("backup")(backup_command)
app.command("export")(export_command)
app.command("deliver")(deliver_command)


@app.command("recompute")
def recompute_command() -> None:
    """Rebuild report origins and each facility's stored figure, counts and support, in one transaction.

    For when the worker-figure rule (api/facilities/figures.py), the support rule (api/claims/support.py)
    or the lineage rule (api/reports/lineage.py) changes: reads go on meanwhile and see
    the old figures until the new ones are committed, all at once. Derived figures are not writes of
    anyone's, so the audit log gains no entry; the data version changes, and with it every ETag.
    """
    settings = get_settings()
    engine = open_database(settings)
    try:
        migrate(engine)
        with write_session(engine) as session:
            total = session.scalar(select(func.count()).select_from(Facility)) or 0
            recompute_all_origins(session)
            with typer.progressbar(length=total, label="Recomputing", file=sys.stderr) as bar:
                done = recompute_all_figures(session, advance=bar.update)
            bump_data_version(session)  # the figures may differ: every ETag changes
    finally:
        engine.dispose()
    typer.echo(f"recomputed the figures of {done:,} facilities")


@app.command("seed")
def seed_command() -> None:
    """Migrate the database, then load every bundle under the seeds folder (idempotent)."""
    settings = get_settings()
    engine = open_database(settings)
    try:
        migrate(engine)
        results = seed(engine, settings.seeds_dir)
    except LaborwatchError as exc:
        raise fail(f"seed refused: {exc.detail}") from None
    finally:
        engine.dispose()
    for result in results:
        typer.echo(f"{result.status:9} {result.report_id} ({len(result.claim_ids)} claims)")
    added = sum(result.status == "added" for result in results)
    typer.echo(f"{added} added, {len(results) - added} unchanged")


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Server processes (default: LABORWATCH_WORKERS, else 1)."),
    ] = None,
) -> None:
    """Migrate the database, seed it when it holds no report, and serve the API with uvicorn."""
    settings = get_settings()
    announce_database(settings, err=False)
    try:
        prepare(settings, typer.echo)
    except LaborwatchError as exc:
        raise fail(f"seed refused: {exc.detail}") from None
    if not settings.public_url and host not in LOOPBACK_HOSTS:
        typer.echo(
            f"note: serving on {host} without LABORWATCH_PUBLIC_URL: `next` links carry the address each "
            "connection was made to; set it to where clients reach the API (docs/deploy.md).",
            err=True,
        )
    run(settings, host=host, port=port, workers=workers or settings.workers)


@app.command("extract")
def extract_command(
    file: Annotated[str, typer.Argument(metavar="FILE.txt", help="The report's text file (UTF-8).")],
    inline: Annotated[
        bool, typer.Option("--inline", help="Embed the body in the draft instead of naming the file.")
    ] = False,
    scorer: Annotated[
        str,
        typer.Option(
            "--scorer",
            help="What picks the figures and their places: 'rules' (default) or 'learned' (an experiment).",
        ),
    ] = "rules",
) -> None:
    """Print a draft bundle (YAML) proposed from a report's raw text, for an analyst to review and ingest."""
    from pathlib import Path  # imported here: the other commands do not need the extractor loaded

    from api.extract import ExtractError, Scorer, draft_from_file

    if scorer not in {item.value for item in Scorer}:
        raise fail(f"extract refused: --scorer must be one of {', '.join(item.value for item in Scorer)}")
    try:
        draft = draft_from_file(Path(file), inline=inline, scorer=Scorer(scorer))
    except ExtractError as exc:
        raise fail(f"extract refused: {exc}") from None
    typer.echo(draft, nl=False)
