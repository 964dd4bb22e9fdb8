"""A database's schema as plain values, to compare two databases (a restored backup, a test's copy)."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine


def _index(index: Any) -> dict[str, Any]:
    """An index as plain values: a partial index's condition (a SQL text object) as its text."""
    options = {name: str(value) for name, value in index.get("dialect_options", {}).items()}
    return {**index, "dialect_options": options}


def schema_of(engine: Engine) -> dict[str, Any]:
    """Every table's columns, keys, constraints and indexes, and the triggers, as the inspector sees them."""
    inspector = sa.inspect(engine)
    tables: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        foreign_keys = inspector.get_foreign_keys(table)
        tables[table] = {
            "columns": [
                (column["name"], str(column["type"]), column["nullable"], str(column.get("default")))
                for column in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table),
            "foreign_keys": sorted(foreign_keys, key=repr),
            "unique": sorted(inspector.get_unique_constraints(table), key=repr),
            "checks": sorted(inspector.get_check_constraints(table), key=repr),
            "indexes": sorted((_index(index) for index in inspector.get_indexes(table)), key=repr),
        }
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            triggers = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
            ).all()
        else:
            triggers = connection.exec_driver_sql(
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname"
            ).all()
    return {"tables": tables, "triggers": [tuple(row) for row in triggers]}
