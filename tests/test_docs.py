"""The docs cannot drift: what the code offers is named in them, and every request example answers as shown.

The lists of settings, commands, options, endpoints and query parameters come from the code (the settings
model, the typer app, the OpenAPI document); the examples come from the pages (tests/docexamples.py).
"""

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import typer.main
from fastapi.testclient import TestClient
from pydantic import AliasChoices
from typer.core import TyperArgument, TyperOption
from typer.testing import CliRunner

from api.app import create_app
from api.cli.main import app as cli
from api.settings import PROJECT_ROOT, Settings, get_settings
from tests.conftest import SEEDS_DIR, Database, loaded_database
from tests.docexamples import (
    BASE_URL,
    Command,
    Curl,
    Shown,
    commands,
    header_matches,
    is_request,
    mismatches,
    parse_curl,
    parse_shown,
    split,
)

DOCS_DIR = PROJECT_ROOT / "docs"
PAGES = [PROJECT_ROOT / "README.md", *sorted(DOCS_DIR.glob("*.md"))]
CLI_PAGE = DOCS_DIR / "cli.md"
CONFIGURATION_PAGE = DOCS_DIR / "configuration.md"
METHODS = ("get", "post", "put", "patch", "delete")


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def docs_text() -> str:
    return "\n".join(text_of(page) for page in PAGES)


# Settings.


def setting_variables() -> dict[str, list[str]]:
    """Each setting's environment variables, the first being the one the docs lead with."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    variables: dict[str, list[str]] = {}
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            variables[name] = [str(choice) for choice in alias.choices]
        elif isinstance(alias, str):
            variables[name] = [alias]
        else:
            variables[name] = [f"{prefix}{name}".upper()]
    return variables


def test_every_setting_has_a_row_in_the_configuration_table() -> None:
    rows = [line for line in text_of(CONFIGURATION_PAGE).splitlines() if line.startswith("| `")]
    missing = [
        names[0]
        for names in setting_variables().values()
        if not any(row.startswith(f"| `{names[0]}`") for row in rows)
    ]
    assert not missing, f"settings without a row in docs/configuration.md: {missing}"


def test_every_laborwatch_variable_the_docs_name_is_a_setting() -> None:
    known = {variable for names in setting_variables().values() for variable in names}
    named = set(re.findall(r"\bLABORWATCH_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_]*\*)", docs_text()))
    assert named - known == set(), "the docs name settings that do not exist"


# The command line.


def cli_commands() -> Iterator[tuple[str, object]]:
    """Every command of `laborwatch` as typed (`laborwatch keys create`), with its click command."""

    def walk(command: object, path: str) -> Iterator[tuple[str, object]]:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, subcommand in subcommands.items():
                yield from walk(subcommand, f"{path} {name}")
        else:
            yield path, command

    yield from walk(typer.main.get_command(cli), "laborwatch")


def command_rows() -> dict[str, str]:
    """The first cell of each row of the command table of docs/cli.md, by the command it names."""
    rows: dict[str, str] = {}
    for line in text_of(CLI_PAGE).splitlines():
        match = re.match(r"^\| `(laborwatch [^`]*)`", line)
        if match:
            usage = match.group(1).replace("\\|", "|")
            name = " ".join(re.findall(r"^laborwatch(?: [a-z][a-z-]*)*", usage)[0].split())
            rows[name] = usage
    return rows


def test_every_command_has_a_row_in_the_command_table() -> None:
    rows = command_rows()
    missing = [path for path, _ in cli_commands() if path not in rows]
    assert not missing, f"commands without a row in docs/cli.md: {missing}"
    assert set(rows) <= {path for path, _ in cli_commands()}, "docs/cli.md lists commands that do not exist"


def test_every_option_and_argument_is_in_its_commands_row() -> None:
    rows = command_rows()
    problems = []
    for path, command in cli_commands():
        usage = rows.get(path, "")
        params = getattr(command, "params", [])
        for option in (p for p in params if isinstance(p, TyperOption)):
            for flag in [*option.opts, *option.secondary_opts]:
                if flag.startswith("--") and not re.search(rf"{re.escape(flag)}\b", usage):
                    problems.append(f"{path}: {flag}")
        arguments = [p for p in params if isinstance(p, TyperArgument)]
        placeholders = re.findall(r"(?<![\[\w-])[A-Z][A-Z0-9_.]*(?:\.\.\.)?(?![\w\]])", usage)
        if len(placeholders) != len(arguments):
            problems.append(f"{path}: {len(arguments)} arguments, placeholders shown: {placeholders}")
    assert not problems, f"options or arguments missing from docs/cli.md's command table: {problems}"


def test_every_option_of_the_laborwatch_command_itself_is_documented() -> None:
    root = typer.main.get_command(cli)
    flags = [flag for p in root.params for flag in p.opts if flag.startswith("--")]
    page = text_of(CLI_PAGE)
    assert [flag for flag in flags if f"laborwatch {flag}" not in page] == []


# The commands the pages show: one form (`.venv/bin/laborwatch ...`, docs/cli.md), and each runs.

LABORWATCH = ".venv/bin/laborwatch"
# A `laborwatch` word as a shell program: at the start, or after `$(`, `|`, `;`, `&&`.
PROGRAM = re.compile(r"(?:^|(?<=\$\()|(?<=[|;&])\s*)([\w./-]*laborwatch)(?=\s|$)")


def shown_commands() -> Iterator[tuple[str, str]]:
    """Each laborwatch command a page shows to run: in its `sh` blocks, or as `.venv/bin/laborwatch ...`."""
    for page in PAGES:
        for command in commands(page):
            for match in PROGRAM.finditer(command.text):
                yield str(command), command.text[match.start(1) :]
        for inline in re.findall(r"`([\w./-]*/laborwatch [^`]*)`", text_of(page)):
            if inline != f"{LABORWATCH} ...":  # the form itself, as docs/cli.md states it
                yield page.name, inline


def test_every_command_shown_is_written_as_cli_md_says() -> None:
    wrong = [f"{where}: {text}" for where, text in shown_commands() if not text.startswith(LABORWATCH + " ")]
    assert not wrong, f"commands not written as `{LABORWATCH} ...` (docs/cli.md): {wrong}"


def test_every_command_shown_runs_as_written() -> None:
    """Each command names a real (sub)command, takes the options it is given, and its `--help` runs."""
    root = typer.main.get_command(cli)
    problems = []
    for where, text in shown_commands():
        words = shlex.split(re.split(r"\s(?:[|>)#]|&&|2>)", text + " ")[0], comments=True)[1:]
        command, path = root, []
        while words and getattr(command, "commands", None) and words[0] in command.commands:  # type: ignore[attr-defined]
            path.append(words.pop(0))
            command = command.commands[path[-1]]  # type: ignore[attr-defined]
        if getattr(command, "commands", None):
            problems.append(f"{where}: {text}: no command of `laborwatch {' '.join(path)}` named")
            continue
        flags = {flag for param in command.params for flag in [*param.opts, *param.secondary_opts]}
        flags |= {"--help"}
        unknown = [word for word in words if word.startswith("-") and word.split("=")[0] not in flags]
        if unknown:
            problems.append(f"{where}: {text}: {unknown} not options of `laborwatch {' '.join(path)}`")
        result = CliRunner().invoke(cli, [*path, "--help"])
        if result.exit_code != 0:
            problems.append(f"{where}: {text}: `laborwatch {' '.join(path)} --help` exits {result.exit_code}")
    assert not problems, "\n".join(problems)


def test_the_command_check_sees_the_commands() -> None:
    shown = [text for _, text in shown_commands()]
    assert len(shown) >= 15, shown
    assert any(text.startswith(f"{LABORWATCH} export --ftm") for text in shown)


# Endpoints and their query parameters.


def openapi() -> dict[str, dict[str, dict[str, object]]]:
    paths: dict[str, dict[str, dict[str, object]]] = create_app(Settings()).openapi()["paths"]
    return paths


def normalized(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def endpoints() -> Iterator[tuple[str, str, dict[str, object]]]:
    for path, operations in openapi().items():
        for method, operation in operations.items():
            if method in METHODS:
                yield method.upper(), path, operation


def pages_naming(method: str, path: str) -> list[Path]:
    """The pages that name `METHOD /path` (path parameters written in any way, `{id}` or `{report_id}`)."""
    wanted = f"{method} {normalized(path)}"
    return [
        page for page in PAGES if re.search(rf"{re.escape(wanted)}(?![\w/{{])", normalized(text_of(page)))
    ]


def test_every_endpoint_is_documented() -> None:
    missing = [f"{method} {path}" for method, path, _ in endpoints() if not pages_naming(method, path)]
    assert not missing, f"endpoints no page names as `METHOD /path`: {missing}"


def test_every_query_parameter_is_documented_where_its_endpoint_is() -> None:
    missing = []
    for method, path, operation in endpoints():
        texts = [text_of(page) for page in pages_naming(method, path)]
        parameters = operation.get("parameters", [])
        assert isinstance(parameters, list)
        for parameter in parameters:
            name = parameter["name"]
            if parameter["in"] == "query" and not any(f"`{name}" in text for text in texts):
                missing.append(f"{method} {path}: {name}")
    assert not missing, f"query parameters not named (as `name`) on their endpoint's page: {missing}"


# The request examples.


class Session:
    """A reader going through one page: its own seeded database, files, variables, and the server."""

    def __init__(self, database: Database, client: TestClient, folder: Path, backend: str) -> None:
        self.database = database
        self.client = client
        self.folder = folder
        self.backend = backend
        self.variables: dict[str, str] = {}
        self.requests = 0

    def run(self, command: Command) -> list[str]:
        """Run one command of the page; the differences between its answer and the one shown."""
        if is_request(command):
            self.requests += 1
            return self.request(command)
        if command.heredoc is not None:
            (self.folder / command.text.split()[2]).write_text(command.heredoc, encoding="utf-8")
        elif match := re.match(r"^(\w+)=\$\((.*) \| tail -1\)", command.text):
            self.variables[match.group(1)] = self.laborwatch(split(match.group(2), self.variables))
        elif command.text.startswith("sed "):
            self.sed(split(command.text, self.variables))
        return []

    def laborwatch(self, words: list[str]) -> str:
        assert words[0].endswith("laborwatch"), words
        get_settings.cache_clear()
        result = CliRunner().invoke(cli, words[1:], env={"DATABASE_URL": self.database.url})
        get_settings.cache_clear()
        assert result.exit_code == 0, result.output
        return result.output.rstrip("\n").splitlines()[-1]

    def sed(self, words: list[str]) -> None:
        _, script, source, arrow, target = words
        assert arrow == ">", words
        edits = [edit.strip().split("/")[1:3] for edit in script.split(";")]
        lines = (self.folder / source).read_text(encoding="utf-8").splitlines(keepends=True)
        for pattern, replacement in edits:
            lines = [line.replace(pattern, replacement, 1) for line in lines]
        (self.folder / target).write_text("".join(lines), encoding="utf-8")

    def request(self, command: Command) -> list[str]:
        curl = parse_curl(split(command.text, self.variables), self.folder)
        response = self.client.request(
            curl.method,
            curl.url,
            headers=curl.headers,
            content=curl.data,
            params=curl.query or None,
            follow_redirects=False,
        )
        return [f"{command}: {problem}" for problem in self.compare(command.answer, curl, response)]

    def compare(self, answer: list[str], curl: Curl, response: httpx.Response) -> list[str]:
        """The differences between an answer and the lines shown: status, headers, body."""
        shown = list(answer)
        status: int | None = None
        problems: list[str] = []
        if shown and shown[0].startswith("HTTP/"):
            line = f"HTTP/1.1 {response.status_code} {response.reason_phrase}"
            if shown[0] != line:
                problems.append(f"status line {line!r} where {shown[0]!r} is shown")
            status = response.status_code
            shown = shown[1:]
        if curl.include or curl.grep:
            while shown and re.match(r"^[A-Za-z][\w-]*: ", shown[0]):
                name, _, value = shown.pop(0).partition(": ")
                actual = response.headers.get(name)
                if actual is None or not header_matches(value, actual):
                    problems.append(f"header {name}: {actual!r} where {value!r} is shown")
        body = "\n".join(shown).strip()
        if curl.write_out and "%{http_code}" in curl.write_out and body:
            match = re.search(r"(\d{3})$", body)
            if match is None:
                problems.append("the status `-w` prints is not shown")
            else:
                status, body = int(match.group(1)), body[: match.start()].strip()
        if body and not curl.saved:
            problems += self.compare_body(body, response)
            status = status or self.status_in(body)
        if status is None and not (200 <= response.status_code < 300):
            problems.append(f"status {response.status_code}; an example shown without a status succeeds")
        elif status is not None and response.status_code != status:
            problems.append(f"status {response.status_code} where {status} is shown")
        return problems

    def compare_body(self, body: str, response: httpx.Response) -> list[str]:
        if body[0] not in "{[":
            if header_matches(body, response.text.strip()):
                return []
            return [f"body {response.text[:200]!r} where {body!r} is shown"]
        expected, rest = parse_shown(body)
        if rest:
            return [f"text after the JSON shown: {rest!r}"]
        # The pages show what `make run` answers, on SQLite; /health names the backend it runs on.
        if self.backend == "postgresql" and isinstance(expected, Shown) and isinstance(expected.items, dict):
            expected.items.update({"database": "postgresql"} if "database" in expected.items else {})
        try:
            actual = response.json()
        except json.JSONDecodeError:
            return [f"JSON is shown, the answer is {response.text[:200]!r}"]
        return mismatches(expected, actual)

    @staticmethod
    def status_in(body: str) -> int | None:
        """The status of a problem document shown without a status line (its `status` member)."""
        try:
            expected, _ = parse_shown(body)
        except ValueError:
            return None
        if isinstance(expected, Shown) and isinstance(expected.items, dict):
            status = expected.items.get("status")
            if isinstance(status, int):
                return status
        return None


EXAMPLE_PAGES = [page for page in PAGES if any(is_request(command) for command in commands(page))]


def test_the_pages_hold_request_examples() -> None:
    counted = sum(is_request(command) for page in PAGES for command in commands(page))
    assert counted >= 48, counted
    assert {"README.md", "reading.md", "writing.md"} <= {page.name for page in EXAMPLE_PAGES}


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=[page.name for page in EXAMPLE_PAGES])
def test_every_request_example_answers_as_shown(backend: str, tmp_path: Path, page: Path) -> None:
    (tmp_path / "db").mkdir()
    with (
        loaded_database(backend, tmp_path / "db", SEEDS_DIR) as (database, engine),
        TestClient(create_app(database.settings(), engine), base_url=BASE_URL) as client,
    ):
        session = Session(database, client, tmp_path, backend)
        problems = [problem for command in commands(page) for problem in session.run(command)]
    assert session.requests > 0
    assert not problems, "\n".join(problems)
