"""The database each test gets: the schema the migrations make, though they run once per test process."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from api.db.engine import make_engine
from api.db.migrate import migrate
from models import DataVersion
from tests.conftest import Database
from tests.helpers.schema import schema_of


def aware(moment: datetime) -> datetime:
    """SQLite gives the time back without its zone: it is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_a_test_database_is_the_schema_the_migrations_make(
    engine: Engine, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    fresh = Database(backend, tmp_path_factory.mktemp("fresh"))
    fresh_engine = make_engine(fresh.settings())
    try:
        migrate(fresh_engine)
        copied = schema_of(engine)
        assert copied["tables"], "the copy has tables"
        assert copied == schema_of(fresh_engine)
        with engine.connect() as copy, fresh_engine.connect() as migrated:
            version = "SELECT version_num FROM alembic_version"
            assert copy.execute(sa.text(version)).all() == migrated.execute(sa.text(version)).all()
            for table in copied["tables"]:
                count = sa.text(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - the inspector's names
                assert copy.execute(count).scalar() == migrated.execute(count).scalar(), table
            # The data version's row, its time that of the copy (as a migration's is of the migration).
            data_version = sa.select(DataVersion.id, DataVersion.version, DataVersion.changed_at)  # type: ignore[call-overload]
            [(key, version, changed_at)] = copy.execute(data_version).all()
            [(fresh_key, fresh_version, fresh_changed_at)] = migrated.execute(data_version).all()
        assert (key, version) == (fresh_key, fresh_version)
        assert abs(aware(changed_at) - aware(fresh_changed_at)) < timedelta(minutes=1)
    finally:
        fresh_engine.dispose()
        fresh.drop()
