"""The request examples of the docs as a reader reads them: commands, the answers shown, `...` elisions.

A page's `sh` blocks hold `curl` commands against `http://127.0.0.1:8000`, each followed by the lines
starting with `#` that show its answer (a status line, headers, a body, or the status `-w` prints). A JSON
body may elide with `...`; `Expected` keeps what is shown so that `mismatches` can compare an answer
with it. docs/development.md ("The examples that are run") says the same for writers of the docs.
"""

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

BASE_URL = "http://127.0.0.1:8000"

# `...` alone, or `...some words...` standing for elided items (`[...2 facilities...]`).
STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
ELLIPSIS = re.compile(r"\.\.\.(?:[^\[\]{}\",:]*?\.\.\.)?")
ANSWER_OF = re.compile(r"^<!-- answer of: (curl .*) -->$")
HEREDOC = re.compile(r"^cat > (\S+) <<'(\w+)'$")


@dataclass
class Command:
    """One logical shell command of a page (continuations and a here-document joined) and its answer."""

    page: str
    line: int
    text: str
    answer: list[str] = field(default_factory=list)
    heredoc: str | None = None

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: {self.text.splitlines()[0]}"


def commands(path: Path) -> list[Command]:
    """The commands of every `sh` block of a page, in order, each with the `#` lines that follow it.

    A ```json block after a line `<!-- answer of: curl ... -->` is the answer of that request.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Command] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        answer_of = ANSWER_OF.match(line.strip())
        if answer_of:
            start = index + 1
            while not lines[start].strip():
                start += 1
            if lines[start].strip() != "```json":
                raise ValueError(f"{path.name}:{index + 1}: a ```json block must follow `answer of:`")
            end = lines.index("```", start + 1)
            found.append(Command(path.name, index + 1, answer_of.group(1), lines[start + 1 : end]))
            index = end + 1
            continue
        if line.strip() != "```sh":
            index += 1
            continue
        index += 1
        current: Command | None = None
        while lines[index].strip() != "```":
            line = lines[index]
            if line.startswith("#"):
                if current is not None:  # a comment before any command is not an answer
                    current.answer.append(line[2:] if line.startswith("# ") else line[1:])
            elif line.strip():
                text, start = line, index
                while text.endswith("\\") or not _closed(text):
                    index += 1
                    if text.endswith("\\"):
                        text = text[:-1].rstrip() + " " + lines[index].strip()
                    else:  # a quoted argument that spans lines
                        text += "\n" + lines[index]
                current = Command(path.name, start + 1, text)
                heredoc = HEREDOC.match(text)
                if heredoc:
                    end = lines.index(heredoc.group(2), index + 1)
                    current.heredoc = "\n".join(lines[index + 1 : end]) + "\n"
                    index = end
                found.append(current)
            index += 1
        index += 1
    return found


def _closed(text: str) -> bool:
    """Whether every quote of a shell line is closed."""
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return False
    return True


def is_request(command: Command) -> bool:
    """Whether the command is a request example to run (a `curl` against the local server)."""
    return command.text.startswith("curl ") and BASE_URL in command.text


def split(text: str, variables: dict[str, str]) -> list[str]:
    """The words of a command, after `$NAME` expansion, without a trailing `# comment`."""
    for name, value in variables.items():
        text = text.replace(f"${name}", value).replace(f"${{{name}}}", value)
    return shlex.split(text, comments=True)


@dataclass
class Curl:
    """What a `curl` command line asks for, and what it prints of the answer."""

    method: str
    url: str
    headers: dict[str, str]
    data: bytes | None
    query: list[tuple[str, str]]
    include: bool  # -i: the status line and headers are printed before the body
    saved: bool  # -o FILE, -O: the body is not printed
    write_out: str | None  # -w FORMAT, printed after the body
    grep: str | None  # `| grep -i '^name'`: only the matching lines are printed


TAKES_VALUE = frozenset({"-X", "-H", "-d", "--data", "--data-urlencode", "-w", "-o"})


def parse_curl(words: list[str], folder: Path) -> Curl:
    """A `curl` command's words (`-d @FILE` read from `folder`), as far as the docs use curl's options."""
    pipe = words.index("|") if "|" in words else len(words)
    grep = words[pipe + 1 :]
    if grep and grep[:2] != ["grep", "-i"]:
        raise ValueError(f"only `| grep -i PATTERN` is understood after curl, not {grep}")
    curl = Curl("", "", {}, None, [], False, False, None, grep[2] if grep else None)
    get = False
    arguments = iter(words[1:pipe])
    for word in arguments:
        if word in TAKES_VALUE:
            value = next(arguments)
            if word == "-X":
                curl.method = value
            elif word == "-H":
                name, _, header = value.partition(":")
                curl.headers[name.strip()] = header.strip()
            elif word in {"-d", "--data"}:
                curl.data = (folder / value[1:]).read_bytes() if value.startswith("@") else value.encode()
            elif word == "--data-urlencode":
                name, _, text = value.partition("=")
                curl.query.append((name, text))
            elif word == "-w":
                curl.write_out = value
            else:
                curl.saved = True
        elif word.startswith("-") and not word.startswith("--"):
            curl.include = curl.include or "i" in word
            curl.saved = curl.saved or "O" in word
            get = get or "G" in word
        elif word.startswith("-"):
            raise ValueError(f"curl option {word} is not understood here")
        else:
            curl.url = word
    curl.method = curl.method or ("POST" if curl.data is not None and not get else "GET")
    return curl


# The JSON shown in the docs, with its elisions.


class AnyValue:
    """`...` (or `"..."`) where a value stands: any value."""

    def __repr__(self) -> str:
        return "..."


@dataclass
class Elided:
    """A string shown with `...` in it (`"lw_..."`, `"'id', ... or '-dated_on'"`): any text there."""

    shown: str


@dataclass
class Shown:
    """An object or list as shown: `open` when `...` stands among its members or items."""

    items: dict[str, object] | list[object]
    open: bool


def parse_shown(text: str) -> tuple[object, str]:
    """The value shown at the start of `text`, and what follows it (such as a status `-w` printed)."""
    value, end = _value(text, _skip(text, 0))
    return value, text[end:].strip()


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _ellipsis(text: str, index: int) -> int:
    match = ELLIPSIS.match(text, index)
    return match.end() if match else index


def _string(text: str, index: int) -> tuple[str, int]:
    match = STRING.match(text, index)
    if match is None:
        raise ValueError(f"a string expected at {text[index : index + 20]!r}")
    string: str = json.loads(match.group(0))
    return string, match.end()


def _value(text: str, index: int) -> tuple[object, int]:
    char = text[index : index + 1]
    if char in "{[" and char:
        return _container(text, index + 1, "}" if char == "{" else "]")
    value: object
    if char == '"':
        value, end = _string(text, index)
        if value == "...":
            value = AnyValue()
        elif "..." in value:
            value = Elided(value)
        return value, end
    end = _ellipsis(text, index)
    if end > index:
        return AnyValue(), end
    value, end = json.JSONDecoder().raw_decode(text, index)
    return value, end


def _container(text: str, index: int, close: str) -> tuple[Shown, int]:
    members: dict[str, object] = {}
    items: list[object] = []
    is_open = False
    while True:
        index = _skip(text, index)
        if text[index : index + 1] == close:
            return Shown(members if close == "}" else items, is_open), index + 1
        end = _ellipsis(text, index)
        if end > index:
            is_open, index = True, end
        elif close == "}":
            key, index = _string(text, index)
            index = _skip(text, index)
            if text[index] != ":":
                raise ValueError(f"':' expected at {text[index : index + 20]!r}")
            members[key], index = _value(text, _skip(text, index + 1))
        else:
            item, index = _value(text, index)
            items.append(item)
        index = _skip(text, index)
        if text[index : index + 1] == ",":
            index += 1
        elif text[index : index + 1] != close:
            raise ValueError(f"',' or {close!r} expected at {text[index : index + 20]!r}")


def mismatches(shown: object, actual: object, where: str = "") -> list[str]:
    """How `actual` differs from what is shown: each key and value shown, and no other unless elided."""
    here = where or "the answer"
    if isinstance(shown, AnyValue):
        return []
    if isinstance(shown, Elided):
        matched = isinstance(actual, str) and header_matches(shown.shown, actual)
        return [] if matched else [f"{here}: {actual!r} where {shown.shown!r} is shown"]
    if isinstance(shown, Shown):
        if isinstance(shown.items, dict):
            return _object_mismatches(shown, actual, where)
        return _list_mismatches(shown, actual, here)
    if shown != actual or type(shown) is not type(actual):
        return [f"{here}: {actual!r} where {shown!r} is shown"]
    return []


def _object_mismatches(shown: Shown, actual: object, where: str) -> list[str]:
    assert isinstance(shown.items, dict)
    here = where or "the answer"
    if not isinstance(actual, dict):
        return [f"{here}: an object is shown, the answer has {actual!r}"]
    found = [f"{here}: no key {key!r}" for key in shown.items if key not in actual]
    if not shown.open:
        found += [
            f"{here}: key {key!r} is not shown (show it, or `...`)"
            for key in actual
            if key not in shown.items
        ]
    for key, value in shown.items.items():
        if key in actual:
            found += mismatches(value, actual[key], f"{where}.{key}" if where else key)
    return found


def _list_mismatches(shown: Shown, actual: object, here: str) -> list[str]:
    assert isinstance(shown.items, list)
    if not isinstance(actual, list):
        return [f"{here}: a list is shown, the answer has {actual!r}"]
    if not shown.open:
        if len(actual) != len(shown.items):
            return [f"{here}: {len(actual)} items where {len(shown.items)} are shown"]
        found: list[str] = []
        for position, (item, got) in enumerate(zip(shown.items, actual, strict=True)):
            found += mismatches(item, got, f"{here}[{position}]")
        return found
    # With `...` among the items, those shown appear in the answer in that order, others between them.
    position = 0
    for number, item in enumerate(shown.items):
        while position < len(actual) and mismatches(item, actual[position]):
            position += 1
        if position == len(actual):
            return [f"{here}: item {number} shown ({item!r}) is not in the answer in that order"]
        position += 1
    return []


def header_matches(shown: str, actual: str) -> bool:
    """Whether a text (a header value, a string) matches the one shown, where `...` stands for any text."""
    pattern = ".*".join(re.escape(part) for part in shown.split("..."))
    return re.fullmatch(pattern, actual) is not None
