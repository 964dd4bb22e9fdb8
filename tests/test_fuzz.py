"""A property-based fuzzer over every operation of the OpenAPI document, with hostile input everywhere.

Each example calls one operation with hostile values (`tests.hostile`) in its path, its query (several
parameters at once, repeated ones, unknown ones, crafted cursors) or anywhere in its JSON body (writes
carry a valid key). Whatever is sent, the answer is never a server error; every 4xx is a problem
document; and a refused write leaves every table as it was.
"""

import json
import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from api.app import create_app
from api.auth.keys import create_key
from api.db.engine import write_session
from tests.conftest import CORPUS_SOURCES, Database, loaded_database
from tests.helpers.bundles import FUZZ_FACILITY, FUZZ_REPORT, fuzz_bundle
from tests.helpers.fuzzing import data_digest, example_of
from tests.helpers.problems import problem_faults
from tests.hostile import URL_VALUES, VALUES, Hostile, b64, crafted_cursors, paths, splice

# Random examples per backend (the sweeps come on top).
EXAMPLES = 1_500
# Each place a sweep fills (a body place, a query parameter, a path segment) takes a share of the hostile
# values of each kind, not all of them: every value and every place is still sent in each run, and the
# seed, new each run, moves the shares on, so that every value meets every place within a few runs.
# FUZZ_SEED=N sends the shares of a run again (its seed is in the test's output and in a failure).
SWEEP_SEED = int(os.environ.get("FUZZ_SEED") or random.SystemRandom().randrange(1_000_000))
BODY_SHARE = {"text": 2, "json": 3}
URL_SHARE = {"url": 2, "text": 4, "json": 3}
WRITES = ("PUT", "DELETE", "POST", "PATCH")
MAX_URL = 65_000  # httpx sends no longer URL; longer ones are the transport's 414, tested with it
PATH_PARAM = re.compile(r"\{([^}]+)\}")


@dataclass
class Findings:
    """What the fuzzer sent and what it found, per backend."""

    requests: int = 0
    skipped: int = 0
    server_errors: int = 0
    faults: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, fault: str) -> None:
        self.faults.setdefault(key, fault)


@dataclass
class Target:
    """The app under fuzz, its database, its operations and the stored ids to aim at."""

    client: TestClient
    engine: Engine
    operations: list[tuple[str, str, dict[str, Any]]]
    ids: dict[str, list[str]]
    bodies: dict[str, Any]
    findings: Findings
    digest: str | None = None  # the data's digest, while no write since may have changed it


@pytest.fixture(scope="module")
def target(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with loaded_database(backend, tmp_path_factory.mktemp("fuzz"), *CORPUS_SOURCES) as (db, engine):
        yield from _target(db, engine)


def _target(db: Database, engine: Engine) -> Iterator[Target]:
    with write_session(engine) as session:
        key = create_key(session, "fuzzer")
    app = create_app(db.settings(), engine)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        spec = client.get("/openapi.json").json()
        operations = [
            (method.upper(), path, operation)
            for path, item in spec["paths"].items()
            for method, operation in item.items()
        ]
        first = client.get("/v1/claims", params={"predicate": "worker_count", "limit": 1}).json()["items"][0]
        ids = {
            "report_id": [first["report_id"], FUZZ_REPORT],
            "facility_id": [str(first["facility_id"]), FUZZ_FACILITY],
            "claim_id": [first["id"]],
            "webhook_id": ["wh-none"],  # no webhook is stored: its routes answer 401 (no key) or 404
        }
        bodies = {
            "Bundle": fuzz_bundle(),
            "ClaimPatch": {"status": "disputed", "notes": "checked by an analyst"},
            "MergeRequest": {"into": first["facility_id"]},
            "ReportPatch": {"reliability": "B"},
            "WebhookCreate": {
                "url": "https://hooks.example.org/laborwatch",
                "filters": {},
                "description": "x",
            },
        }
        yield Target(client, engine, operations, ids, bodies, Findings())


def body_schema(operation: dict[str, Any]) -> str | None:
    """The component name of an operation's JSON body, if it takes one."""
    body = operation.get("requestBody")
    if body is None:
        return None
    ref: str = body["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


def body_for(target: Target, schema: str, method: str, path: str, serial: int) -> Any:
    """A valid body of `schema` for the request; a bundle gets a new report id (or the PUT path's)."""
    if schema != "Bundle":
        return target.bodies[schema]
    return fuzz_bundle(path.rsplit("/", 1)[-1] if method == "PUT" else f"fuzz-{serial}")


def real_path(target: Target, method: str, template: str, **given: str) -> str:
    """The operation's path with stored ids (the fuzzer's own for writes, so reads keep their data),
    or with the segments `given`."""

    def segment(match: re.Match[str]) -> str:
        name = match.group(1)
        return given.get(name, target.ids[name][-1 if method in WRITES else 0])

    return PATH_PARAM.sub(segment, template)


json_leaves = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


def cursor_values(sort: str) -> st.SearchStrategy[str]:
    """Crafted cursors for `sort`, random bytes and random JSON, as tokens."""
    return (
        st.sampled_from(sorted(crafted_cursors(sort).values()))
        | st.binary(max_size=64).map(b64)
        | json_leaves.map(lambda value: b64(json.dumps(value).encode()))
        | st.lists(json_leaves, min_size=4, max_size=6).map(
            lambda fields: b64(json.dumps([sort, *fields[1:]]).encode())
        )
    )


@st.composite
def query_strings(draw: st.DrawFn, operation: dict[str, Any]) -> tuple[str, str]:
    """A raw query string for the operation, and what is hostile in it."""
    params = [p for p in operation.get("parameters", []) if p["in"] == "query"]
    if not params:
        return "", ""
    chosen = draw(st.lists(st.sampled_from(params), max_size=4, unique_by=lambda p: p["name"]))
    pairs: list[tuple[str, str]] = []
    hostile: list[str] = []
    sort = "id"
    for parameter in chosen:
        name = parameter["name"]
        if name == "sort":
            sort = example_of(parameter).removeprefix("-")
        kind = draw(
            st.sampled_from(
                ["valid", "hostile", "hostile", "cursor"]
                if name == "cursor"
                else ["valid", "hostile", "hostile"]
            )
        )
        if kind == "valid":
            value = example_of(parameter).replace(" ", "+")
        elif kind == "cursor":
            value = draw(cursor_values(sort))
            hostile.append(f"{name}=<cursor>")
        else:
            picked = draw(st.sampled_from(URL_VALUES))
            value = picked.query
            hostile.append(f"{name}=<{picked.name}>")
        pairs.append((name, value))
    if pairs and draw(st.integers(0, 4)) == 0:
        name, value = draw(st.sampled_from(pairs))
        pairs.append((name, value))
        hostile.append(f"{name} repeated")
    if draw(st.integers(0, 9)) == 0:
        pairs.append(("unknown_param", "1"))
        hostile.append("unknown parameter")
    return "&".join(f"{name}={value}" for name, value in pairs), ", ".join(hostile)


@st.composite
def requests(draw: st.DrawFn, target: Target) -> tuple[str, str, bytes | None, str]:
    """One request (method, URL, body) to any operation, and a description of what is hostile in it."""
    # Operations with a body have many more places to be hostile in: drawn four times as often.
    weighted = [op for op in target.operations for _ in range(4 if body_schema(op[2]) else 1)]
    method, template, operation = draw(st.sampled_from(weighted))
    hostile: list[str] = []

    def segment(match: re.Match[str]) -> str:
        name = match.group(1)
        if draw(st.integers(0, 5)) == 0:
            picked = draw(st.sampled_from(URL_VALUES))
            hostile.append(f"path {name}=<{picked.name}>")
            return picked.query
        choices = target.ids[name]
        return choices[-1] if method in WRITES else draw(st.sampled_from(choices))

    path = PATH_PARAM.sub(segment, template)
    query, in_query = draw(query_strings(operation))
    if in_query:
        hostile.append(in_query)
    body: bytes | None = None
    schema = body_schema(operation)
    if schema is not None:
        document = body_for(target, schema, method, path, draw(st.integers(0, 10**9)))
        where = draw(st.sampled_from(paths(document)))
        action = draw(st.sampled_from(["hostile", "hostile", "hostile", "remove", "unknown", "valid"]))
        if action == "hostile" or (not where and action == "remove"):
            picked = draw(hostile_values)
            text = splice(document, where, picked.json)
            hostile.append(f"body {'.'.join(map(str, where)) or '<root>'}=<{picked.name}>")
        elif action == "remove":
            text = splice(document, where, None)
            hostile.append(f"body {'.'.join(map(str, where))} removed")
        elif action == "unknown" and isinstance(document, dict):
            text = json.dumps({**document, "unknown_field": 1})
            hostile.append("body unknown field")
        else:
            text = json.dumps(document)
        body = text.encode("utf-8", "surrogatepass")
    url = f"{path}?{query}" if query else path
    return method, url, body, "; ".join(hostile) or "nothing hostile"


# As likely a wrong type as a hostile string, whatever the number of each.
hostile_values = st.sampled_from([v for v in VALUES if v.kind == "text"]) | st.sampled_from(
    [v for v in VALUES if v.kind != "text"]
)


def check(target: Target, method: str, url: str, body: bytes | None, hostile: str) -> None:
    """Send one request and record every way its answer breaks the rules."""
    writes = method != "GET"
    if writes and target.digest is None:
        target.digest = data_digest(target.engine)
    before = target.digest
    if len(url) > MAX_URL:
        target.findings.skipped += 1
        return
    target.findings.requests += 1
    try:
        response = target.client.request(
            method, url, content=body, headers={"Content-Type": "application/json"} if body else {}
        )
    except Exception as exc:  # whatever breaks is a finding, reported at the end
        target.findings.add(f"exception: {method} {url[:60]}: {hostile}", f"{exc!r}"[:300])
        return
    route = url.split("?", 1)[0][:60]
    status = response.status_code
    if status >= 500:
        target.findings.server_errors += 1
        target.findings.add(f"{status} {method} {route}: {hostile}", response.text[:200])
        target.digest = None
        return
    if status < 400:
        if writes:
            target.digest = None  # the write may have changed the data: read it again before the next
        return
    faults = [fault for fault in problem_faults(response) if "not an error" not in fault]
    if faults:
        target.findings.add(f"not a problem: {method} {route}: {hostile}", faults[0][:300])
    if writes:
        target.digest = data_digest(target.engine)
        if target.digest != before:
            target.findings.add(f"refused write changed data: {method} {route}: {hostile}", str(status))


def assert_clean(findings: Findings, what: str) -> None:
    """Fail with every distinct fault found, after saying how many requests were sent."""
    report = "\n".join(f"{key}\n    {fault}" for key, fault in sorted(findings.faults.items()))
    print(
        f"\n{what} (FUZZ_SEED={SWEEP_SEED}): {findings.requests} requests "
        f"({findings.skipped} too long to send), {findings.server_errors} answered 5xx, "
        f"{len(findings.faults)} distinct faults\n{report}"
    )
    assert not findings.faults, (
        f"{len(findings.faults)} faults in {findings.requests} requests (FUZZ_SEED={SWEEP_SEED}):\n{report}"
    )


def share(values: list[Hostile], place: int, counts: dict[str, int]) -> list[Hostile]:
    """The values the `place`-th place of a sweep takes: of each kind, `counts[kind]` in a row, from where
    the seed and the place say; consecutive places take consecutive runs, so a sweep of at least
    (values of a kind / their count) places sends each value of that kind."""
    chosen: list[Hostile] = []
    for kind, count in counts.items():
        of_kind = [value for value in values if value.kind == kind]
        start = SWEEP_SEED + place * count
        chosen += [of_kind[(start + offset) % len(of_kind)] for offset in range(min(count, len(of_kind)))]
    return chosen


def assert_all_sent(sent: set[str], values: list[Hostile]) -> None:
    """The shares of a sweep added up to every value: none is left out whatever the seed."""
    assert sent == {value.name for value in values}, f"never sent: {sorted({v.name for v in values} - sent)}"


# The values each body field, query parameter and path segment is swept with, one at a time.
BODY_SWEEP = [
    value
    for value in VALUES
    if value.name
    in {
        "lone high surrogate",
        "reversed surrogate pair",
        "NUL inside",
        "huge",
        "true",
        "zero",
        "huge integer",
        "overflowing float",
        "NaN",
        "deep list",
        "deep object",
        "object",
        "null",
    }
]


def test_every_body_field_takes_every_hostile_value(target: Target) -> None:
    """Each place of each operation's body (the root included) gets hostile values of each kind, alone;
    every hostile value goes to some place, and over runs to every place."""
    target.findings = Findings()
    serial = 0
    place = 0
    sent: set[str] = set()
    for method, template, operation in target.operations:
        schema = body_schema(operation)
        if schema is None or method == "PUT":  # PUT validates its bundle as POST does
            continue
        path = real_path(target, method, template)
        for where in paths(body_for(target, schema, method, path, serial)):
            place += 1
            for value in share(BODY_SWEEP, place, BODY_SHARE):
                serial += 1
                sent.add(value.name)
                document = body_for(target, schema, method, path, serial)
                body = splice(document, where, value.json).encode("utf-8", "surrogatepass")
                check(target, method, path, body, f"body {'.'.join(map(str, where))}=<{value.name}>")
    assert_all_sent(sent, BODY_SWEEP)
    assert_clean(target.findings, "body sweep")


def test_every_query_parameter_and_path_segment_takes_every_hostile_value(target: Target) -> None:
    """Each query parameter and path parameter of each operation gets hostile values of each kind, alone;
    every hostile value goes to some parameter, and over runs to every parameter."""
    target.findings = Findings()
    place = 0
    sent: set[str] = set()
    for method, template, operation in target.operations:
        path = real_path(target, method, template)
        schema = body_schema(operation)
        body = None if schema is None else json.dumps(body_for(target, schema, method, path, 0)).encode()
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            place += 1
            for value in share(URL_VALUES, place, URL_SHARE):
                sent.add(value.name)
                if parameter["in"] == "query":
                    url = f"{path}?{name}={value.query}"
                else:
                    url = real_path(target, method, template, **{name: value.query})
                check(target, method, url, body, f"{parameter['in']} {name}=<{value.name}>")
    assert_all_sent(sent, URL_VALUES)
    assert_clean(target.findings, "query and path sweep")


def test_random_combinations_of_hostile_input(target: Target) -> None:
    """Hypothesis draws an operation and hostile values for several parameters and a body place at once."""
    assert {body_schema(op) for _m, _p, op in target.operations} - {None} <= set(target.bodies), (
        "give the fuzzer a valid body for every request body schema"
    )
    target.findings = Findings()

    @given(request=requests(target))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(request: tuple[str, str, bytes | None, str]) -> None:
        check(target, *request)

    fuzz()
    assert_clean(target.findings, "random combinations")


@pytest.mark.parametrize("name", sorted(crafted_cursors("id")))
def test_every_crafted_cursor_is_refused_or_recounted(target: Target, name: str) -> None:
    """Each crafted cursor on every list, for two sorts: a 422 problem, or a page if it is well-formed."""
    lists = [
        (path, op)
        for method, path, op in target.operations
        if method == "GET"
        and any(p["name"] == "cursor" for p in op.get("parameters", []))
        # the public lists: an admin's list (a webhook's deliveries) answers 401 before its cursor
        and any(not requirement for requirement in op.get("security", [{}]))
    ]
    assert len(lists) >= 6
    for path, operation in lists:
        real = PATH_PARAM.sub(lambda m: target.ids[m.group(1)][0], path)
        sort_param = next((p for p in operation["parameters"] if p["name"] == "sort"), None)
        # A list without `sort` (a facility's history, in its one order) takes cursors of its default.
        sorts = {example_of(sort_param).removeprefix("-"), "id"} if sort_param is not None else {"id"}
        for sort in sorts:
            token = crafted_cursors(sort)[name]
            query = f"sort={sort}&cursor={token}" if sort_param is not None else f"cursor={token}"
            response = target.client.get(f"{real}?{query}")
            if response.status_code != 200:
                faults = problem_faults(response, 422)
                assert not faults, faults
