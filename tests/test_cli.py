"""The command line as a user runs it: output, exit codes, the database named, and the database afterwards."""

import json
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import make_url
from typer.testing import CliRunner, Result

from api.cli.main import app as cli
from api.extract import mark_reviewed
from api.extract.credits import PLACEHOLDER
from api.settings import get_settings
from tests.conftest import DATA_DIR, SEEDS_DIR, Database
from tests.helpers.bundles import bundle
from tests.helpers.cli import Run


def test_keys_create_prints_the_key_alone_on_the_last_line(run: Run, client: TestClient) -> None:
    result = run("keys", "create", "alice")
    assert result.exit_code == 0, result.output
    key = result.output.rstrip("\n").splitlines()[-1]
    assert key.startswith("lw_")
    assert " " not in key
    assert len(key) > 30
    listed = run("keys", "list")
    assert "alice" in listed.output
    assert "active" in listed.output
    assert key not in listed.output

    created = client.post("/v1/reports", json=bundle(), headers={"Authorization": f"Bearer {key}"})
    assert created.status_code == 201
    change = client.get("/v1/changes").json()["items"][0]
    assert change["key_name"] == "alice"
    assert key not in client.get("/v1/changes").text


def test_keys_revoke_stops_the_key_at_once(run: Run, client: TestClient) -> None:
    key = run("keys", "create", "bob").output.splitlines()[-1]
    assert run("keys", "create", "bob").exit_code == 1
    revoked = run("keys", "revoke", "bob")
    assert revoked.exit_code == 0
    response = client.post("/v1/reports", json=bundle(), headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401
    assert "revoked" in run("keys", "list").output
    assert run("keys", "revoke", "bob").exit_code == 1
    again = run("keys", "create", "bob")
    assert again.exit_code == 0
    assert again.output.splitlines()[-1] != key


def test_keys_create_gives_a_role_and_keys_list_shows_it(run: Run, client: TestClient) -> None:
    editor = run("keys", "create", "ed", "--role", "editor")
    assert editor.exit_code == 0, editor.output
    assert "editor key 'ed'" in editor.output
    assert "admin key 'root'" in run("keys", "create", "root").output  # no --role: an admin
    assert run("keys", "create", "bad", "--role", "owner").exit_code == 2
    listed = dict(line.split("\t")[:2] for line in run("keys", "list").stdout.splitlines())
    assert listed == {"ed": "editor", "root": "admin"}
    headers = {"Authorization": f"Bearer {editor.output.splitlines()[-1]}"}
    assert client.post("/v1/reports", json=bundle(), headers=headers).status_code == 201
    refused = client.delete("/v1/reports/khabarovsk-workshop", headers=headers)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("name", ["", "has space", "a" * 101, "-leading", "tab\tname"])
def test_keys_create_refuses_bad_names(run: Run, name: str) -> None:
    result = run("keys", "create", "--", name)
    assert result.exit_code == 1
    assert "A key name is 1-100 letters" in result.output
    assert run("keys", "list").stdout.startswith("No keys")


def test_ingest_folders_then_again_unchanged(run: Run, client: TestClient) -> None:
    first = run("ingest", str(SEEDS_DIR), str(DATA_DIR / "bundles"))
    assert first.exit_code == 0, first.output
    assert "4 added, 0 unchanged, 0 refused" in first.output
    assert client.get("/v1/reports").json()["total"] == 4
    assert {c["key_name"] for c in client.get("/v1/changes").json()["items"]} == {"cli"}
    before = client.get("/v1/claims", params={"limit": 500}).json()
    second = run("ingest", str(SEEDS_DIR))
    assert second.exit_code == 0
    assert "0 added, 1 unchanged, 0 refused" in second.output
    assert client.get("/v1/claims", params={"limit": 500}).json() == before


def test_ingest_refuses_bad_bundles_alone_and_exits_1(run: Run, client: TestClient, tmp_path: Path) -> None:
    good = bundle()
    (tmp_path / "a-good.yaml").write_text(yaml.safe_dump(good), encoding="utf-8")
    bad = bundle()
    bad["report"]["id"] = "bad-report"
    bad["claims"][1]["quote"] = "not in the body"
    (tmp_path / "b-bad.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    (tmp_path / "c-broken.json").write_text("{not json", encoding="utf-8")
    conflict = bundle()
    conflict["claims"][0]["value"] = 41
    (tmp_path / "d-conflict.yaml").write_text(yaml.safe_dump(conflict), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a bundle", encoding="utf-8")

    result = run("ingest", str(tmp_path), str(tmp_path / "missing.yaml"))
    assert result.exit_code == 1
    output = result.output
    assert "1 added, 0 unchanged, 4 refused" in output
    assert "b-bad.yaml: Invalid bundle: claim 1 (working_hours, facility khabarovsk-workshop)" in output
    assert "c-broken.json" in output
    assert "d-conflict.yaml" in output
    assert "missing.yaml: no such file or folder" in output
    reports = [r["id"] for r in client.get("/v1/reports").json()["items"]]
    assert reports == ["khabarovsk-workshop"]
    assert client.get("/v1/facilities/khabarovsk-workshop").json()["workers"]["value"] == 40


def test_ingest_of_a_file_that_is_not_a_bundle_is_refused(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text("text", encoding="utf-8")
    result = run("ingest", str(path))
    assert result.exit_code == 1
    assert "not a bundle file" in result.output


def test_ingest_with_jobs_gives_the_same_result_in_order(
    run: Run, client: TestClient, tmp_path: Path
) -> None:
    for index in range(40):
        data = bundle()
        data["report"]["id"] = f"report-{index:02d}"
        data["report"]["body"] = f"Report {index}: {data['report']['body']}"
        if index == 17:
            data["claims"][0]["quote"] = "missing words"
        (tmp_path / f"b{index:02d}.json").write_text(json.dumps(data), encoding="utf-8")
    result = run("ingest", "--jobs", "2", str(tmp_path))
    assert result.exit_code == 1
    assert "39 added, 0 unchanged, 1 refused" in result.output
    assert "b17.json" in result.output
    ids = [item["id"] for item in client.get("/v1/reports", params={"limit": 500}).json()["items"]]
    assert ids == [f"report-{index:02d}" for index in range(40) if index != 17]
    order = [
        c["entity_id"] for c in reversed(client.get("/v1/changes", params={"limit": 500}).json()["items"])
    ]
    assert order == ids
    again = run("ingest", "--jobs", "1", str(tmp_path))
    assert "0 added, 39 unchanged, 1 refused" in again.output


def test_extract_then_ingest_every_text_of_our_own(run: Run, client: TestClient, tmp_path: Path) -> None:
    # The analyst's loop with the two commands: extract a draft beside each text, then ingest the folder.
    texts = sorted((DATA_DIR / "texts").glob("*.txt"))
    assert len(texts) >= 5
    for text in texts:
        copy = tmp_path / text.name
        copy.write_bytes(text.read_bytes())
        drafted = run("extract", str(copy))
        assert drafted.exit_code == 0, drafted.output
        copy.with_suffix(".yaml").write_text(drafted.stdout, encoding="utf-8")
    drafts = sorted(tmp_path.glob("*.yaml"))

    refused = run("ingest", str(tmp_path))
    assert refused.exit_code == 1
    assert f"0 added, 0 unchanged, {len(texts)} refused" in refused.output
    for draft in drafts:
        assert f"refused   {draft}: Invalid bundle: draft.reviewed: this is an unreviewed draft from " in (
            refused.stderr
        )
    assert "review it and set `reviewed: true` under `draft:`" in refused.stderr
    assert client.get("/v1/reports").json()["total"] == 0
    assert client.get("/v1/changes").json()["total"] == 0

    for draft in drafts:  # the analyst's one-line edit
        draft.write_text(mark_reviewed(draft.read_text(encoding="utf-8")), encoding="utf-8")
    placeholders = [draft for draft in drafts if PLACEHOLDER in draft.read_text(encoding="utf-8")]
    assert placeholders, "some of our texts name no outlet"
    still = run("ingest", str(tmp_path))
    assert still.exit_code == 1
    assert f"{len(texts) - len(placeholders)} added, 0 unchanged, {len(placeholders)} refused" in still.output
    for draft in placeholders:
        assert (
            f"refused   {draft}: Invalid bundle: report.publisher: still holds the placeholder"
            in still.stderr
        )
        draft.write_text(
            draft.read_text(encoding="utf-8").replace(PLACEHOLDER, "Our Monitor"), encoding="utf-8"
        )

    result = run("ingest", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (
        f"{len(placeholders)} added, {len(texts) - len(placeholders)} unchanged, 0 refused" in result.output
    )
    reports = client.get("/v1/reports", params={"limit": 500}).json()["items"]
    assert len(reports) == len(texts)
    located = client.get("/v1/facilities", params={"limit": 500, "min_workers": 1}).json()["items"]
    assert located, "the drafts propose facilities with worker figures"
    for facility in located:
        claim = client.get(f"/v1/claims/{facility['workers']['claim_id']}").json()
        body = client.get(f"/v1/reports/{claim['report_id']}").json()["body"]
        assert body[claim["span"]["start"] : claim["span"]["end"]] == claim["quote"]
        assert claim["predicate"] == "worker_count"
        assert claim["value"] == facility["workers"]["value"] > 0


def test_seed_refuses_an_unreviewed_draft_in_the_seeds_folder(
    run: Run, client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = tmp_path / "khabarovsk.txt"
    text.write_bytes((DATA_DIR / "texts" / "khabarovsk-logging-camp.txt").read_bytes())
    draft = text.with_suffix(".yaml")
    draft.write_text(run("extract", str(text)).stdout, encoding="utf-8")
    monkeypatch.setenv("LABORWATCH_SEEDS_DIR", str(tmp_path))
    get_settings.cache_clear()

    refused = run("seed")
    assert refused.exit_code == 1
    assert "seed refused: Invalid bundle: draft.reviewed: this is an unreviewed draft" in refused.stderr
    assert client.get("/v1/reports").json()["total"] == 0

    draft.write_text(mark_reviewed(draft.read_text(encoding="utf-8")), encoding="utf-8")
    seeded = run("seed")
    assert seeded.exit_code == 0, seeded.output
    assert "1 added, 0 unchanged" in seeded.output
    assert client.get("/v1/reports").json()["total"] == 1


def database_line(result: Result, *, stream: str = "stderr") -> str:
    """The line that names the database a command acted on (on stderr; `serve`'s is on stdout)."""
    output = result.stdout if stream == "stdout" else result.stderr
    lines = [line for line in output.splitlines() if line.startswith("laborwatch: database ")]
    assert len(lines) == 1, result.output
    return lines[0]


def test_every_command_that_opens_the_database_names_it_on_stderr(
    run: Run, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_url(database.url)
    if database.backend == "sqlite":
        named = [str(Path(url.database or "").resolve())]
    else:
        named = [f"{url.drivername}://{url.username}@{url.host}", f"/{url.database}"]
    # `serve` names it before it migrates and seeds the empty database: here the seeding is refused (no
    # seeds folder), so it stops there, before listening.
    monkeypatch.setenv("LABORWATCH_SEEDS_DIR", str(tmp_path / "no-seeds"))
    get_settings.cache_clear()
    served = run("serve", "--host", "192.0.2.1", "--port", "1")  # were it to serve: no such address
    assert served.exit_code == 1, served.output
    assert "seed refused" in served.stderr
    assert all(part in database_line(served, stream="stdout") for part in named)
    assert "laborwatch: database" not in served.stderr  # serve's stderr is its JSON log
    monkeypatch.delenv("LABORWATCH_SEEDS_DIR")
    get_settings.cache_clear()
    commands = [
        ("keys", "create", "carol"),
        ("keys", "list"),
        ("keys", "revoke", "carol"),
        ("seed",),
        ("ingest", str(DATA_DIR / "bundles")),
        ("backup", str(tmp_path / "copy.db")),
    ]
    for command in commands:
        result = run(*command)
        assert result.exit_code == 0, (command, result.output)
        line = database_line(result)
        assert all(part in line for part in named), (command, line)
        assert "laborwatch: database" not in result.stdout  # stdout stays the command's own answer


def test_the_database_line_never_shows_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 1: the command fails to connect, after it has said where it tried.
    secret = "s3cret-Pa55"
    monkeypatch.setenv(
        "DATABASE_URL", f"postgresql+psycopg://lw:{secret}@127.0.0.1:1/lw?password={secret}&sslmode=disable"
    )
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["keys", "list"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code != 0
    line = database_line(result)
    assert line == "laborwatch: database postgresql+psycopg://lw@127.0.0.1:1/lw?sslmode=disable"
    assert secret not in result.output
    assert "***" not in line


def test_a_new_sqlite_file_is_named_by_its_absolute_path_and_said_to_be_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "another folder"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///./laborwatch.db")
    get_settings.cache_clear()
    try:
        first = CliRunner().invoke(cli, ["keys", "list"])
        second = CliRunner().invoke(cli, ["keys", "list"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == second.exit_code == 0
    path = elsewhere / "laborwatch.db"
    assert (
        database_line(first)
        == f"laborwatch: database {path} (SQLite; new, empty: no file there yet, it is created now)"
    )
    assert database_line(second) == f"laborwatch: database {path} (SQLite)"
    assert path.exists()


def test_extract_opens_no_database_and_says_nothing_on_stderr(tmp_path: Path) -> None:
    text = tmp_path / "report.txt"
    text.write_text("A garment factory in Irkutsk employs about 70 North Korean workers.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", str(text)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert yaml.safe_load(result.stdout)


def test_version_prints_the_package_version() -> None:
    for flag in ("--version", "-V"):
        result = CliRunner().invoke(cli, [flag])
        assert result.exit_code == 0
        assert result.stdout == f"laborwatch {version('laborwatch')}\n"


def command_paths(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command and group under `command`, as the words that name it on the command line."""
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from command_paths(sub, (*path, name))


def test_no_help_text_shows_a_raw_type_beside_a_flag() -> None:
    paths = list(command_paths(typer.main.get_command(cli)))
    assert ("keys", "create") in paths
    assert ("extract",) in paths
    for path in paths:
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "--help" in result.stdout
        assert "<bool>" not in result.stdout, path
    assert "--inline  " in CliRunner().invoke(cli, ["extract", "--help"]).stdout
