"""PostgreSQL's own view of its sessions, for the tests that run on it."""

import sqlalchemy as sa
from sqlalchemy import text

from tests.conftest import PG_URL


def pg_sessions(condition: str, **params: object) -> int:
    """How many other PostgreSQL backends of `pg_stat_activity` meet the SQL `condition`."""
    assert PG_URL
    admin = sa.create_engine(PG_URL)
    try:
        with admin.connect() as connection:
            where = f"pid <> pg_backend_pid() AND {condition}"  # the tests' own literals
            query = f"SELECT count(*) FROM pg_stat_activity WHERE {where}"  # noqa: S608
            count = connection.execute(text(query), params).scalar()
    finally:
        admin.dispose()
    return int(count or 0)
