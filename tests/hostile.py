"""Hostile input for the fuzzer and the regression tests: strings, wrong types, nesting, crafted cursors.

Each value is given as the raw text a client would put in a JSON body (`json`) and, where it has one,
in a query string or a path segment (`query`, already percent-encoded), so that what no well-behaved
encoder produces (a lone surrogate as a JSON escape, invalid UTF-8 in a URL) is sent as it is.
"""

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

DEPTH = 5_000
HUGE = 100_001
# httpx refuses URLs over 64 kB; a longer query is the transport's business (414), not the app's.
URL_CHARS = 30_000
# Nesting that fits a cursor of the longest length the lists take (2,000 characters of base64).
CURSOR_DEPTH = 1_450


@dataclass(frozen=True)
class Hostile:
    """One hostile value: its name, its JSON text and its percent-encoded form for a URL."""

    name: str
    json: str
    query: str
    kind: str = "json"  # "text" (a string), "json" (another JSON value) or "url" (only in a URL)


def _from_text(name: str, text: str) -> Hostile:
    """A string value: JSON escapes (lone surrogates included) and UTF-8 percent-encoding as sent."""
    raw = text.encode("utf-8", "surrogatepass")
    return Hostile(name, json.dumps(text), quote(raw, safe="")[:URL_CHARS], "text")


def _from_json(name: str, text: str, query: str | None = None) -> Hostile:
    """A non-string JSON value; in a URL it is its own text unless `query` says otherwise."""
    return Hostile(name, text, (quote(text, safe="") if query is None else query)[:URL_CHARS])


TEXTS: dict[str, str] = {
    "lone high surrogate": "\ud800",
    "lone low surrogate inside": "abc\udfffdef",
    "reversed surrogate pair": "\udc00\ud800",
    "NUL": "\x00",
    "NUL inside": "ab\x00cd",
    "huge": "x" * HUGE,
    "huge words": "word " * (HUGE // 5),
    "many words": " ".join(f"w{i}x" for i in range(450)),
    "many letters": "a " * 249,
    "many short words": " ".join(f"w{i}" for i in range(120))[:499],
    "many quoted words": ('"' + " ".join(f"q{i}" for i in range(120)))[:498] + '"',
    "many phrases": " ".join(f'"a{i} b"' for i in range(60))[:499],
    "long word": "a" * 2_000,
    "formula": '=HYPERLINK("http://example.invalid","x")',
    "javascript url": "javascript:alert(1)",
    "data url": "data:text/html,<script>alert(1)</script>",
    "empty": "",
    "blank": "   ",
    "controls": "\x1b[31m\x7f\x08\r\n\t",
    "bom and bidi": "\ufeff\u202eabc",
    "astral": "\U0001d518\U0001d52b\U0001f600",
    "digits": "9" * 400,
    "not a date": "2024-13-45",
    "sql": "'; DROP TABLE report; --",
    "search syntax": 'NEAR(a b) AND "x" * OR -y:z & | ! <-> \\',
}
JSON_VALUES: dict[str, str] = {
    "true": "true",
    "false": "false",
    "zero": "0",
    "negative": "-1",
    "fraction": "1.5",
    "big float": "1e308",
    "overflowing float": "1e999",
    "NaN": "NaN",
    "Infinity": "-Infinity",
    "huge integer": str(10**40),
    "enormous integer": "9" * 5_000,
    "null": "null",
    "empty list": "[]",
    "list": '[1, "a", null]',
    "empty object": "{}",
    "object": '{"a": 1}',
    "date string": '"2024-01-02"',
    "deep list": "[" * DEPTH + "]" * DEPTH,
    "deep object": '{"a":' * DEPTH + "0" + "}" * DEPTH,
}
# What only a URL can carry: bytes that are not UTF-8, broken escapes.
URL_ONLY: dict[str, str] = {
    "invalid UTF-8": "%ff%fe",
    "UTF-8 surrogate": "%ed%a0%80",
    "overlong NUL": "%c0%80",
    "percent NUL": "%00",
    "broken escape": "%zz%",
    "plus and spaces": "+++",
    "huge escaped": "%41" * (URL_CHARS // 3),
}

VALUES: list[Hostile] = [
    *(_from_text(name, text) for name, text in TEXTS.items()),
    *(_from_json(name, text) for name, text in JSON_VALUES.items()),
]
URL_VALUES: list[Hostile] = [
    *(Hostile(name, text, text, "url") for name, text in URL_ONLY.items()),
    *VALUES,
]


def b64(raw: bytes) -> str:
    """A cursor token as the server makes them: URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def crafted_cursors(sort: str) -> dict[str, str]:
    """Cursor tokens for `sort` that decode (or fail to) in every way the paging format allows."""
    fields = f'["{sort}", ' + "{}, {}, {}]"
    return {
        "deep list": b64(b"[" * CURSOR_DEPTH),
        "deep closed list": b64(b"[" * (CURSOR_DEPTH // 2) + b"]" * (CURSOR_DEPTH // 2)),
        "deep value": b64(fields.format("[" * CURSOR_DEPTH, '"a"', "0").encode()),
        "deep object value": b64(fields.format('{"a":' * (CURSOR_DEPTH // 5), '"a"', "0").encode()),
        "huge position": b64(fields.format('"a"', '"a"', str(10**40)).encode()),
        "enormous position": b64(fields.format('"a"', '"a"', "9" * 5_000).encode()),
        "overflowing value": b64(fields.format("1e999", '"a"', "0").encode()),
        "NaN value": b64(fields.format("NaN", '"a"', "0").encode()),
        "huge id": b64(fields.format('"a"', str(10**40), "0").encode()),
        "surrogate value": b64(fields.format('"\\ud800"', '"\\udfff"', "0").encode()),
        "NUL value": b64(fields.format('"\\u0000"', '"\\u0000"', "0").encode()),
        "object fields": b64(fields.format('{"a": 1}', '["x"]', "{}").encode()),
        "boolean fields": b64(fields.format("true", "true", "true").encode()),
        "huge total": b64((f'["{sort}", "a", "a", 0, ' + str(10**40) + ', "v"]').encode()),
        "forged total": b64(f'["{sort}", "a", "a", 0, -5, {{"x": 1}}]'.encode()),
        "not a list": b64(b'{"sort": "id"}'),
        "a string": b64(b'"id"'),
        "invalid UTF-8": b64(b'["id", "\xff\xfe", "a", 0]'),
        "garbage bytes": b64(bytes(range(256))),
        "not base64": "!!!$$$",
        "one character": "a",
        "empty list": b64(b"[]"),
        "too many fields": b64(json.dumps([sort, "a", "a", 0, 0, "v", "extra"]).encode()),
        "negative position": b64(json.dumps([sort, "a", "a", -1]).encode()),
    }


def splice(template: Any, path: tuple[str | int, ...], raw_json: str | None) -> str:
    """`template` as JSON text with the value at `path` replaced by `raw_json` (removed when None)."""
    marker = "\x01HOSTILE\x01"
    data = json.loads(json.dumps(template))
    if not path:
        return raw_json if raw_json is not None else ""
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if raw_json is None:
        del parent[path[-1]]
        return json.dumps(data)
    parent[path[-1]] = marker
    return json.dumps(data).replace(json.dumps(marker), raw_json)


def paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place in a JSON value, the root included, in document order."""
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += paths(inner, (*prefix, index))
    return found
