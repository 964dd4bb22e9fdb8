"""Bulk inserts of the write path (COPY on PostgreSQL, multi-row INSERTs on SQLite): rows as stored, errors.

`laborwatch ingest` and every bundle write put their rows in through `api.ingest.rows.insert_rows`; what
they read back must be what SQLAlchemy's own insert would have stored, and a refused row must come out as
SQLAlchemy's error, in the caller's savepoint, leaving nothing behind.
"""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import DataError, IntegrityError

from api.db.engine import write_session
from api.ingest.rows import SQLITE_ROWS_PER_STATEMENT, insert_rows
from models import Facility, Report

REPORT = Report.__table__  # type: ignore[attr-defined]
FACILITY = Facility.__table__  # type: ignore[attr-defined]


def _report(index: int, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": f"ledger-{index:04d}",
        "title": f'Ledger {index}, with a comma, a tab\tand a quote " and a backslash \\',
        "publisher": "Ledger Desk",
        "publisher_fold": "ledger desk",
        "url": None,
        "published_on": date(2024, 1, 1 + index % 28),
        "language": "en",
        "source": None,
        "body": f"Line one.\nLine two of ledger {index}: 공장에서 일하는 노동자.",
        "sha256": "0" * 64,
        "search_text": f"ledger {index}",
        "bundle_sha256": f"{index:064d}",
        "claim_count": 0,
        "ingested_at": datetime(2026, 12, 7, 12, 0, index % 60, 123456, tzinfo=UTC),
    }
    return row | changes


def test_rows_read_back_as_given_across_statements(engine: Engine) -> None:
    count = SQLITE_ROWS_PER_STATEMENT + 7  # more than one statement's worth on SQLite
    rows = [_report(index) for index in range(count)]
    with write_session(engine) as session:
        insert_rows(session.connection(), REPORT, rows)
    with engine.connect() as db:
        stored = db.execute(select(REPORT).order_by(REPORT.c.id)).mappings().all()
    assert len(stored) == count
    for given, found in zip(rows, stored, strict=True):
        for name, value in given.items():
            if name == "ingested_at":  # SQLite keeps no time zone: compare the instant's fields
                assert found[name].replace(tzinfo=UTC) == value
            else:
                assert found[name] == value, name


def test_columns_left_out_get_their_defaults(engine: Engine) -> None:
    facility = {"id": "camp-a", "name": "Camp A", "claim_count": 0, "report_count": 0}
    with write_session(engine) as session:
        insert_rows(session.connection(), FACILITY, [facility | {"created_at": datetime.now(UTC)}])
    with engine.connect() as db:
        stored = db.execute(select(FACILITY.c.aliases, FACILITY.c.search_text, FACILITY.c.city)).one()
    assert tuple(stored) == ("[]", "", None)


def test_a_duplicate_key_is_an_integrity_error_that_leaves_nothing(engine: Engine) -> None:
    with write_session(engine) as session:
        with pytest.raises(IntegrityError), session.begin_nested():
            insert_rows(session.connection(), REPORT, [_report(1), _report(2), _report(1)])
        insert_rows(session.connection(), REPORT, [_report(3)])  # the transaction goes on
    with engine.connect() as db:
        assert list(db.scalars(select(REPORT.c.id))) == ["ledger-0003"]


def test_a_value_too_long_is_a_data_error_on_postgresql(engine: Engine, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite stores text of any length in a VARCHAR column")
    with write_session(engine) as session, pytest.raises(DataError), session.begin_nested():
        insert_rows(session.connection(), REPORT, [_report(1, publisher="x" * 201)])
    with engine.connect() as db:
        assert db.scalar(select(func.count()).select_from(REPORT)) == 0
