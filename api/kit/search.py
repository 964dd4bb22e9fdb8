"""Search: full text behind one interface (SQLite FTS5 or PostgreSQL), and case folding for filters.

Whatever a user types is reduced to words (runs of letters and digits) and quoted phrases; no search
syntax of either engine ever reaches it, so `"`, `*`, `NEAR(`, `AND` or `:` cannot raise errors.

Korean, Chinese and Japanese text is also indexed as overlapping bigrams (`with_bigrams`): neither
engine splits it into words (공장에서, "at the factory", is one token for FTS5's unicode61 and for
PostgreSQL), so a word inside it would never be found. A query's CJK word becomes the phrase of its own
bigrams, which matches wherever the word stands inside a longer run (docs/reading.md).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    column,
    false,
    func,
    literal_column,
    select,
    table,
    text,
)

# PostgreSQL's column holding each row's `to_tsvector('english', search_text)` (migration 0011).
SEARCH_VECTOR = "search_vector"
_TERM = re.compile(r'"([^"]*)"|([^"\s]+)')
_WORD = re.compile(r"\w+")
# Hangul (syllables, jamo), Han (CJK ideographs and their extension A, compatibility ideographs), kana.
_CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")


def bigrams(run: str) -> list[str]:
    """The overlapping two-character pieces of a CJK run (the run itself when it has one character)."""
    return [run[i : i + 2] for i in range(len(run) - 1)] or [run]


def with_bigrams(text: str) -> str:
    """A search text with the bigrams of its CJK runs appended (the text alone when it has none)."""
    pieces = [" ".join(bigrams(run)) for run in _CJK_RUN.findall(text)]
    return f"{text}\n{chr(10).join(pieces)}" if pieces else text


def _split_scripts(term: str) -> list[str]:
    """A term as the engines should read it: its CJK words each a phrase of bigrams, the rest as given."""
    runs = _CJK_RUN.findall(term)
    if not runs:
        return [term]
    rest = _CJK_RUN.sub(" ", term)
    split = [" ".join(bigrams(run)) for run in runs]
    return [rest, *split] if _WORD.search(rest) else split


@dataclass(frozen=True)
class SearchIndex:
    """Where one resource's full text is indexed: an FTS5 table on SQLite, a GIN index on PostgreSQL.

    `fts_table` is the FTS5 table (migration 0002), whose `fts_key` column (`key`, or `rowid`) holds the
    value of `key`; `text` is the searched column, whose table holds PostgreSQL's `search_vector`.
    """

    fts_table: str
    fts_key: str
    key: Any
    text: Any


def search_terms(query: str) -> list[str]:
    """Split a user's query into terms, each bare run of characters alone and each quoted phrase whole.

    Terms without a letter or digit are dropped; a term's CJK words become terms of their own, each the
    phrase of its bigrams (the rest of the term stays one phrase). A term is plain text: PostgreSQL reads
    it with `phraseto_tsquery`, which has no syntax; FTS5 gets only its words (see `fts5_query`).
    """
    terms: list[str] = []
    for match in _TERM.finditer(query):
        phrase = match.group(1) if match.group(1) is not None else match.group(2)
        if _WORD.search(phrase):
            terms.extend(_split_scripts(phrase))
    return terms


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression requiring every term, each as a quoted string of its words only."""
    return " ".join('"' + " ".join(_WORD.findall(term)) + '"' for term in terms)


def matches(index: SearchIndex, query: str, dialect: str) -> ColumnElement[bool]:
    """A WHERE clause keeping the rows of `index`'s table whose search text contains every term of `query`."""
    terms = search_terms(query)
    if not terms:
        return false()
    if dialect == "sqlite":
        key: ColumnElement[Any] = index.key
        return key.in_(_fts_keys(index, terms))
    # PostgreSQL: the stored vector of migration 0011 (its GIN index, and no parsing per row read).
    english: ColumnElement[Any] = literal_column("'english'")
    vector: ColumnElement[Any] = literal_column(f"{index.text.table.name}.{SEARCH_VECTOR}")
    tsqueries = [func.phraseto_tsquery(english, term) for term in terms]
    return and_(vector.op("@@")(_all_of(tsqueries)))


def count_matches(index: SearchIndex, query: str, dialect: str) -> Select[Any] | None:
    """Count the rows whose search text matches `query` from the full-text index alone (SQLite).

    Exact: each row has one entry in its FTS5 table (kept in step by triggers), so when `q` is a list's
    only filter its total needs neither the table nor a second evaluation of the MATCH (measured on
    100,000 claims: 1.4 ms, against 41 ms joined back to the claims). On PostgreSQL, None: its count
    over the table is already one index scan.
    """
    terms = search_terms(query)
    if dialect != "sqlite" or not terms:
        return None
    return select(func.count()).select_from(text(index.fts_table)).where(_fts_match(index, terms))


def matches_in_key_order(index: SearchIndex, query: str) -> ColumnElement[bool]:
    """`matches` on SQLite, written so that the planner reads the table in an index's order, not by key.

    `key IN (every match)` makes SQLite fetch every match by its key and sort them all before it sends
    a page; `+key IN (...)` (the unary plus hides the key from the planner) lets it walk the index of
    the list's order and test each entry against the matches, collected once: when many rows match
    (a third of 100,000 claims for `q=working hours`), the page is found after a few hundred entries.
    """
    terms = search_terms(query)
    if not terms:
        return false()
    key: ColumnElement[Any] = literal_column(f"+{index.key.table.name}.{index.key.name}")
    return key.in_(_fts_keys(index, terms))


def matches_in_rowid_order(
    index: SearchIndex, query: str, rows: Select[Any]
) -> tuple[Select[Any], ColumnElement[Any]]:
    """`rows` (of `index.key`'s table) kept to those matching `query`, read from the FTS5 table (SQLite).

    Returns the statement and the FTS5 rowid to order it by: FTS5 hands its matches out in rowid order,
    so with `ORDER BY rowid LIMIT n` the read stops after the page instead of collecting every match.
    The table is joined on `index.key` = rowid, which must be the FTS5 table's `content_rowid`.
    """
    fts = table(index.fts_table, column("rowid"))
    rowid: ColumnElement[Any] = fts.c.rowid
    terms = search_terms(query)
    joined = rows.select_from(fts.join(index.key.table, index.key == rowid))
    return joined.where(_fts_match(index, terms) if terms else false()), rowid


# Walking an index costs about a tenth of fetching and sorting a match (measured on 100,000 claims).
WALK_PER_SORTED = 10


def worth_reading_in_order(total: int, rows: int, limit: int) -> bool:
    """Whether walking the table in order beats sorting every match: the page is found early enough.

    The walk reads about `(limit + 1) * rows / total` index entries; sorting fetches `total` rows.
    """
    return total > 0 and (limit + 1) * rows < WALK_PER_SORTED * total * total


def _fts_keys(index: SearchIndex, terms: list[str]) -> Select[Any]:
    """The keys of the FTS5 rows matching every term."""
    return (
        select(literal_column(index.fts_key))
        .select_from(text(index.fts_table))
        .where(_fts_match(index, terms))
    )


def _fts_match(index: SearchIndex, terms: list[str]) -> ColumnElement[bool]:
    """`fts_table MATCH :fts_query`, the terms bound as one FTS5 expression (never spliced into SQL)."""
    clause = text(f"{index.fts_table} MATCH :fts_query").bindparams(bindparam("fts_query", fts5_query(terms)))
    return and_(clause)


def _all_of(tsqueries: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
    """`q1 && q2 && ...` as a balanced tree, whatever the number of terms.

    A chain of hundreds of terms (`q=a a a ...`: 500 characters allow 250) nests too deep for
    SQLAlchemy's compiler (RecursionError); a balanced tree of them is 8 deep.
    """
    if len(tsqueries) == 1:
        return tsqueries[0]
    middle = len(tsqueries) // 2
    return _all_of(tsqueries[:middle]).op("&&")(_all_of(tsqueries[middle:]))


def fold(value: str | None) -> str | None:
    """The form case-insensitive filters compare, in any script: Python's casefold ("Straße" = "STRASSE").

    Stored beside each filterable column (`city_fold`, ...) by the loader and applied to the filter
    value, so that the comparison is a plain indexed equality on both databases.
    """
    return value.casefold() if value is not None else None
