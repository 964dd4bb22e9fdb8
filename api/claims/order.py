"""Claims' `id_order`: an integer that sorts as the claim ids do, the rowid of their full-text rows on SQLite.

Claim ids are `clm-` and 20 hexadecimal digits (a hash: `api.ingest.loader.claim_id`), so their order is
random against the order claims are stored in. A search page sorted by id therefore had to read every
match, or walk the id index testing each entry against the matches (about 3 ms of SQLite for a query
matching 1,700 of 100,000 claims). FTS5 hands its matches out in rowid order and can stop after a page:
with the rowid sorting as the id does, the page is the first matches FTS5 finds (0.2 to 0.4 ms).

The key is the id's first 15 hexadecimal digits as an integer (60 bits, so within SQLite's signed 64-bit
rowid): when two ids differ in those digits their keys sort as they do; ids that share them (about one
pair in two million at a million claims) cannot both have the key, and neither can an id of another shape.
Such a claim gets minus its `pk` instead, unique but out of order, and while any key is negative
searches read their pages the slower way (`keys_in_id_order`); answers are the same either way.
"""

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, func, select

from api.kit.inlist import in_chunks
from models import Claim

_CLAIM: Table = Claim.__table__  # type: ignore[attr-defined]
_ID = re.compile(r"clm-([0-9a-f]{15})[0-9a-f]{5}")
_PREFIX = len("clm-")
_DIGITS = 15
_HEX = "0123456789abcdef"


def order_key(claim_id: str) -> int | None:
    """The id's key, sorting as the id does, or None for an id of another shape than `clm-` + 20 hex."""
    found = _ID.fullmatch(claim_id)
    return int(found.group(1), 16) if found is not None else None


def key_bound(claim_id: str) -> int | None:
    """A key every id on the far side of `claim_id` (in either direction) has reached, or None.

    Ids after `clm-…` have a key at least its key (and ids before it at most), whatever the rest of the
    string: the key of any string starting as a claim id does, which a cursor's last id may not be.
    """
    digits = claim_id[_PREFIX : _PREFIX + _DIGITS]
    if not claim_id.startswith("clm-") or len(digits) < _DIGITS or digits.strip(_HEX):
        return None
    return int(digits, 16)


def assign_id_order(connection: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Give each claim row about to be inserted its `id_order` (SQLite; PostgreSQL leaves it null).

    A key already held by another stored claim or an earlier row here, and an id of another shape, get
    none: the insert then gives the claim minus its `pk` (the trigger of migration 0014, or `fts_after`),
    so keys stay unique.
    """
    if connection.dialect.name != "sqlite":
        return
    pending = list(rows)
    keys = {row["id"]: order_key(row["id"]) for row in pending}
    wanted = sorted({key for key in keys.values() if key is not None})
    held: dict[int, str] = {}
    for chunk in in_chunks(wanted):
        query = select(_CLAIM.c.id_order, _CLAIM.c.id).where(_CLAIM.c.id_order.in_(chunk))
        held.update((key, claim_id) for key, claim_id in connection.execute(query))
    for row in pending:
        key = keys[row["id"]]
        row["id_order"] = key if key is not None and held.setdefault(key, row["id"]) == row["id"] else None


def keys_in_id_order(connection: Connection) -> bool:
    """Whether every stored claim's key sorts as its id does (no negative key): one index seek.

    The lowest key is read from the partial index of the keys (hence the `IS NOT NULL`).
    """
    keys = _CLAIM.c.id_order
    lowest: int | None = connection.scalar(select(func.min(keys)).where(keys.is_not(None)))
    return lowest is None or lowest >= 0
