"""Alembic environment: migrates the database whose URL the caller puts in the config."""

from alembic import context
from sqlalchemy import create_engine

import models

config = context.config
target_metadata = models.metadata


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Leave what migrations make by raw SQL out of autogenerate's comparison: SQLite's FTS5 tables,
    PostgreSQL's generated `search_vector` columns and their indexes (migration 0008)."""
    if name is not None and type_ == "table" and "_fts" in name:
        return False
    return not (name is not None and type_ in ("column", "index") and "search_vector" in name)


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate over a live connection: the caller's, or a new one to the configured URL."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as new_connection:
            _run(new_connection)
        engine.dispose()
    else:
        _run(connection)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
