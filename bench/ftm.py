"""Check a FollowTheMoney export with the `followthemoney` package, and time it on a generated corpus.

`check_entities` reads export lines as FtM tools do (`ValueEntity.from_dict(..., cleaned=False)`) and
collects every way they fail the model: an unknown or abstract schema, a property the schema does not
have, a value FtM's cleaning changes or drops, a missing required property, a reference to an entity
that is not in the export or not of the property's range, an id given twice. The tests use it on the
seeded data and on a small generated corpus.

Run `python -m bench.ftm` to build a corpus of a million claims (`--claims N` for another size), export
it with `laborwatch export --ftm` and check every line; it prints the counts, the times and the export's
peak memory. Needs the dev extra (`followthemoney`).
"""

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from followthemoney import ValueEntity, model, registry
from followthemoney.exc import InvalidData
from sqlalchemy import create_engine

from bench.corpus import DEFAULT_SEED, build_corpus, sqlite_url

MAX_ERRORS = 20


@dataclass
class FtmCheck:
    """What checking an export found: entities by schema, and the first errors (none when it is valid)."""

    entities: int = 0
    by_schema: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    schemata: dict[str, str] = field(default_factory=dict)  # id -> schema, of every entity read
    referents: dict[str, list[str]] = field(default_factory=dict)  # id -> referents, where given

    def fail(self, message: str) -> None:
        """Record an error (only the first `MAX_ERRORS` are kept; the count of entities goes on)."""
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message if len(message) <= 500 else message[:500] + "...")


def _check_one(data: dict[str, Any], check: FtmCheck, references: list[tuple[str, str, str]]) -> None:
    entity_id = data.get("id")
    schema = model.get(data.get("schema", ""))
    if not isinstance(entity_id, str) or schema is None or schema.abstract:
        check.fail(f"{entity_id}: no id, or no concrete schema {data.get('schema')!r}")
        return
    if entity_id in check.schemata:
        check.fail(f"{entity_id}: given twice")
    check.schemata[entity_id] = schema.name
    check.by_schema[schema.name] += 1
    properties: dict[str, list[str]] = data.get("properties", {})
    unknown = sorted(set(properties) - set(schema.properties))
    if unknown:
        check.fail(f"{entity_id}: {schema.name} has no property {', '.join(unknown)}")
    try:
        schema.validate({"properties": properties})
        entity = ValueEntity.from_dict(json.loads(json.dumps(data)), cleaned=False)
    except InvalidData as invalid:
        check.fail(f"{entity_id}: {invalid} {getattr(invalid, 'errors', '')}")
        return
    if entity.referents:
        check.referents[entity_id] = sorted(entity.referents)
    for name in schema.required:
        if not properties.get(name):
            check.fail(f"{entity_id}: required property {name} missing")
    for name, values in properties.items():
        prop = schema.properties.get(name)
        if prop is None:
            continue
        if sorted(set(values)) != sorted(set(entity.get(prop))):
            check.fail(f"{entity_id}: {name} {values!r} reads back as {entity.get(prop)!r}")
        if prop.type == registry.entity and prop.range is not None:
            references.extend((entity_id, value, prop.range.name) for value in values)


def check_entities(lines: Iterable[bytes | str]) -> FtmCheck:
    """Read and check every line of an FtM export (one entity per line)."""
    check = FtmCheck()
    references: list[tuple[str, str, str]] = []
    for line in lines:
        if not line.strip():
            check.fail("blank line")
            continue
        check.entities += 1
        _check_one(json.loads(line), check, references)
    for source, target, range_name in references:
        schema_name = check.schemata.get(target)
        if schema_name is None:
            check.fail(f"{source}: refers to {target}, which is not in the export")
        elif not model.get(schema_name).is_a(range_name):  # type: ignore[union-attr]
            check.fail(f"{source}: refers to {target}, a {schema_name}, not a {range_name}")
    return check


def _export(database_url: str, output: Path) -> tuple[float, int]:
    """Run `laborwatch export --ftm -o output`; its wall time and its own peak memory (MiB).

    Spawned (not forked), so that the child's peak is its own and not the pages of this process.
    """
    started = time.perf_counter()
    command = "from api.cli import app; app()"
    argv = [sys.executable, "-c", command, "export", "--ftm", "--output", str(output)]
    pid = os.posix_spawn(sys.executable, argv, {**os.environ, "DATABASE_URL": database_url})
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"laborwatch export failed with status {status}")
    return time.perf_counter() - started, usage.ru_maxrss // 1024


def main(argv: list[str] | None = None) -> int:
    """Build a corpus, export it as FtM with the command line, check every entity; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--claims", type=int, default=1_000_000, help="Claims to generate (default 1e6).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lw-ftm-") as folder:
        database = Path(folder) / "corpus.db"
        engine = create_engine(sqlite_url(database))
        try:
            summary = build_corpus(engine, args.claims, seed=args.seed)
        finally:
            engine.dispose()
        print(
            f"corpus: {summary.claims:,} claims, {summary.reports:,} reports, "
            f"{summary.facilities:,} facilities"
        )
        output = Path(folder) / "laborwatch.ftm.json"
        seconds, peak_mib = _export(sqlite_url(database), output)
        size_mib = output.stat().st_size / 2**20
        print(f"export: {size_mib:,.0f} MiB in {seconds:.1f} s, peak memory of the command {peak_mib} MiB")
        started = time.perf_counter()
        with output.open("rb") as lines:
            check = check_entities(lines)
        print(f"checked {check.entities:,} entities in {time.perf_counter() - started:.1f} s")
    for schema, count in sorted(check.by_schema.items()):
        print(f"  {schema:14} {count:>10,}")
    for error in check.errors:
        print(f"  error: {error}")
    print("valid" if not check.errors else f"{len(check.errors)}+ errors")
    return 0 if not check.errors else 1


if __name__ == "__main__":
    sys.exit(main())
