"""What the fuzz tests and the input tests share: the data's digest and documented examples."""

import hashlib
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import SQLModel

# Tables a read or a key check may touch (a key's last use); every other table is the data.
NOT_DATA = {"api_key"}


def data_digest(engine: Engine) -> str:
    """A digest of every data table's rows, to tell whether a write changed anything."""
    digest = hashlib.sha256()
    with engine.connect() as db:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in NOT_DATA:
                continue
            rows = db.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest.update(repr((table.name, [tuple(row) for row in rows])).encode())
    return digest.hexdigest()


def example_of(parameter: dict[str, Any]) -> str:
    """The documented example of a parameter, as it goes in a URL."""
    if "example" in parameter:
        value = parameter["example"]
    elif "examples" in parameter:
        value = next(iter(parameter["examples"].values()))["value"]
    else:
        value = parameter["schema"]["examples"][0]
    if isinstance(value, list):  # a filter that takes several values: its first, as one `name=value`
        value = value[0]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
