"""The `keys`, `ingest`, `backup` and `export` commands, and what every command shares (rest: `api.cli`)."""

import asyncio
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from sqlalchemy import Engine

from api.auth.keys import Role, create_key, list_keys, revoke_key
from api.changes.audit import CLI_ACTOR
from api.db.backup import backup
from api.db.engine import describe_database, make_engine, read_session, write_session
from api.db.migrate import migrate
from api.errors import LaborwatchError
from api.export.ftm import ftm_lines
from api.facilities.listing import COUNTRY, facility_filters
from api.ingest.bulk import IngestOutcome, expand, ingest
from api.settings import Settings, get_settings


def command_group(help_text: str) -> typer.Typer:
    """A group of commands, its help in plain text: Typer's rich panels print `<bool>` beside every flag."""
    return typer.Typer(help=help_text, no_args_is_help=True, add_completion=False, rich_markup_mode=None)


def fail(message: str) -> typer.Exit:
    """Print `message` on stderr and give the exit to raise (code 1)."""
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(code=1)


def announce_database(settings: Settings, *, err: bool = True) -> None:
    """Say which database the command acts on, so a command run in the wrong folder shows it.

    On stderr, so that a command's output stays its own; `serve` says it on stdout, with what it seeds,
    because its stderr is the JSON request log, one JSON object a line.
    """
    typer.echo(f"laborwatch: database {describe_database(settings.database_url)}", err=err)


def open_database(settings: Settings, *, bulk: bool = False) -> Engine:
    """The engine of a command that opens the database, once it has said which database that is."""
    announce_database(settings)
    return make_engine(settings, bulk=bulk)


keys_app = command_group("Create, list and revoke write keys.")
KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="Who the key is for; shown in the audit log.")],
    role: Annotated[
        Role,
        typer.Option(help="editor: add, replace and correct; admin: also delete and merge."),
    ] = Role.ADMIN,
) -> None:
    """Create a write key; it is printed once, alone on the last line, and only its hash is stored."""
    if not KEY_NAME.match(name):
        raise fail(
            "A key name is 1-100 letters, digits, '.', '_', '@' or '-', starting with a letter or digit."
        )
    engine = open_database(get_settings())
    try:
        migrate(engine)
        with write_session(engine) as session:
            key = create_key(session, name, role)
    except LaborwatchError as exc:
        raise fail(exc.detail) from None
    finally:
        engine.dispose()
    typer.echo(
        f"Created {role} key {name!r}. It is shown only now; keep it secret. "
        "Use it as: Authorization: Bearer KEY"
    )
    typer.echo(key)


@keys_app.command("list")
def keys_list() -> None:
    """List keys by name with their role and when they were created and revoked (never the keys)."""
    engine = open_database(get_settings())
    try:
        migrate(engine)
        with read_session(engine) as session:
            keys = list_keys(session)
    finally:
        engine.dispose()
    if not keys:
        typer.echo("No keys. Create one with: laborwatch keys create NAME")
    for api_key in keys:
        state = f"revoked {api_key.revoked_at:%Y-%m-%d %H:%M}" if api_key.revoked_at else "active"
        name = api_key.name.split("~revoked~")[0]
        typer.echo(f"{name}\t{api_key.role}\tcreated {api_key.created_at:%Y-%m-%d %H:%M}\t{state}")


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The name the key was created with.")]) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    engine = open_database(get_settings())
    try:
        migrate(engine)
        with write_session(engine) as session:
            revoke_key(session, name)
    except LaborwatchError as exc:
        raise fail(exc.detail) from None
    finally:
        engine.dispose()
    typer.echo(f"Revoked key {name!r}.")


def ingest_command(
    paths: Annotated[
        list[Path], typer.Argument(help="Bundle files (.yaml, .yml, .json) or folders of them.")
    ],
    jobs: Annotated[
        int | None,
        typer.Option(
            min=1, help="Processes that parse bundles (default: cores, at most 4); 1 parses in-line."
        ),
    ] = None,
) -> None:
    """Load bundles: each one atomic and idempotent; exits 1 when any bundle was refused.

    Bundles are written in order, in batches of one transaction each (a savepoint per bundle, so a refused
    bundle leaves the rest of its batch written); with many files their parsing runs in worker processes
    alongside. JSON bundles parse several times faster than YAML.
    """
    engine = open_database(get_settings(), bulk=True)
    try:
        migrate(engine)
        items = expand(paths)
        show_bar = len(items) > 1 and any(path.is_dir() for path in paths)
        if show_bar:
            with typer.progressbar(length=len(items), label="Ingesting", file=sys.stderr) as bar:
                outcomes = ingest(engine, items, CLI_ACTOR, advance=lambda: bar.update(1), jobs=jobs)
        else:
            outcomes = ingest(engine, items, CLI_ACTOR, jobs=jobs)
    finally:
        engine.dispose()
    _summarize(outcomes)


def _summarize(outcomes: list[IngestOutcome]) -> None:
    refused = [outcome for outcome in outcomes if outcome.status == "refused"]
    for outcome in outcomes:
        if outcome.status != "refused":
            typer.echo(f"{outcome.status:9} {outcome.report_id}  ({outcome.path})")
    for outcome in refused:
        typer.secho(f"refused   {outcome.path}: {outcome.reason}", err=True, fg=typer.colors.RED)
    added = sum(outcome.status == "added" for outcome in outcomes)
    unchanged = sum(outcome.status == "unchanged" for outcome in outcomes)
    typer.echo(f"{added} added, {unchanged} unchanged, {len(refused)} refused")
    if refused:
        raise typer.Exit(code=1)


def backup_command(
    destination: Annotated[Path, typer.Argument(help="A new file to write the copy to.")],
) -> None:
    """Write a consistent copy of the database while it stays in use (SQLite file, or a pg_dump archive)."""
    engine = open_database(get_settings())
    try:
        written = backup(engine, destination)
    except LaborwatchError as exc:
        raise fail(f"backup failed: {exc.detail}") from None
    finally:
        engine.dispose()
    typer.echo(f"Backed up to {written} ({written.stat().st_size} bytes).")


# How often `export` says on stderr how far it got (entities).
EXPORT_PROGRESS_EVERY = 100_000


def _country_option(values: list[str] | None) -> list[str] | None:
    for value in values or ():
        if not re.match(COUNTRY, value):
            raise typer.BadParameter("give an ISO 3166-1 alpha-2 code, e.g. RU")
    return values


# The filters that take several values over HTTP take several here: `--country RU --country CN`.
CountryOption = Annotated[
    list[str] | None,
    typer.Option(callback=_country_option, help="ISO 3166-1 alpha-2, any case; repeat for any of several."),
]
TermsOption = Annotated[list[str] | None, typer.Option(help="Any case; repeat for any of several.")]
TextOption = Annotated[str | None, typer.Option()]


def export_command(
    ftm: Annotated[
        bool, typer.Option("--ftm", help="FollowTheMoney entities, one JSON object a line (docs/ftm.md).")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    country: CountryOption = None,
    city: TextOption = None,
    region: TextOption = None,
    sector: TermsOption = None,
    kind: TermsOption = None,
    operator_country: CountryOption = None,
    min_workers: Annotated[float | None, typer.Option(min=0)] = None,
    max_workers: Annotated[float | None, typer.Option(min=0)] = None,
    report_id: TextOption = None,
    q: Annotated[str | None, typer.Option("--q", help="Full text, as `q` of /v1/facilities.")] = None,
    bbox: Annotated[str | None, typer.Option(help="minLon,minLat,maxLon,maxLat.")] = None,
    as_of: Annotated[str | None, typer.Option(help="A date, YYYY-MM-DD.")] = None,
    min_sources: Annotated[
        int | None, typer.Option(min=0, help="Figures at least this many independent sources support.")
    ] = None,
) -> None:
    """Export the corpus as `GET /v1/export/ftm` does, with the same facility filters as options.

    The lines are those the endpoint sends for the same filters, read in one snapshot; progress goes to
    stderr. With --output, the file appears only once the export is complete.
    """
    if not ftm:
        raise fail("Choose what to export: --ftm (FollowTheMoney entities).")
    try:
        on_day = date.fromisoformat(as_of) if as_of is not None else None
    except ValueError:
        raise typer.BadParameter("give a date as YYYY-MM-DD", param_hint="--as-of") from None
    try:
        filters = asyncio.run(
            facility_filters(
                country=country,
                city=city,
                region=region,
                sector=sector,
                kind=kind,
                operator_country=operator_country,
                min_workers=min_workers,
                max_workers=max_workers,
                report_id=report_id,
                q=q,
                bbox=bbox,
                as_of=on_day,
                min_sources=min_sources,
            )
        )
    except LaborwatchError as exc:
        raise fail(f"export refused: {exc.detail}") from None
    engine = open_database(get_settings())
    partial = output.with_name(output.name + ".partial") if output is not None else None
    try:
        with engine.connect() as db, _open_output(partial) as out:
            written = 0
            for line in ftm_lines(db, filters):
                out.write(line)
                written += 1
                if written % EXPORT_PROGRESS_EVERY == 0:
                    typer.echo(f"exported {written:,} entities", err=True)
        if output is not None and partial is not None:
            partial.replace(output)
    except BaseException:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    typer.echo(f"exported {written:,} entities" + (f" to {output}" if output else ""), err=True)


@contextmanager
def _open_output(path: Path | None) -> Iterator[BinaryIO]:
    """The file to write to, or stdout's bytes (left open)."""
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with path.open("wb") as file:
        yield file
