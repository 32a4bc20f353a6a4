"""PostgreSQL sources get exactly the same data and changes as SQLite ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from histar.datagen import TABLES, apply_changes

from .support import Generated

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 1, 5, 12, 0, 0)


def test_postgres_matches_sqlite(pg_database: str, make_source: Callable[..., Generated]) -> None:
    lite = make_source(name="lite")
    pg = make_source(pg_database, name="pg")
    assert pg.result.tables == lite.result.tables
    for table in TABLES:
        assert pg.db.normalised(table.name) == lite.db.normalised(table.name), table.name
        key = ", ".join(table.primary_key)
        constraint = pg.db.rows(
            "select pg_get_constraintdef(oid) from pg_constraint "
            f"where conrelid = 'public.{table.name}'::regclass and contype = 'p'"
        )
        assert constraint == [(f"PRIMARY KEY ({key})",)]
    types = dict(
        pg.db.rows(
            "select column_name, data_type from information_schema.columns "
            "where table_name = 'sales'"
        )
    )
    assert types["sold_at"] == "timestamp without time zone"
    assert types["list_price"] == "numeric" and types["sale_id"] == "bigint"
    for a, b in zip(pg.result.csv_files, lite.result.csv_files, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes()

    lite_changes = apply_changes(lite.url, lite.csv_dir, now=NOW)
    pg_changes = apply_changes(pg.url, pg.csv_dir, now=NOW)
    assert pg_changes.changes == lite_changes.changes
    assert pg_changes.details == lite_changes.details
    for table in TABLES:
        assert pg.db.normalised(table.name) == lite.db.normalised(table.name), table.name


def test_postgres_generate_replaces_tables(
    pg_database: str, make_source: Callable[..., Generated]
) -> None:
    make_source(pg_database, name="one", rows=4_000)
    again = make_source(pg_database, name="two", rows=2_000)
    for table in TABLES:
        count = again.db.scalar(f"select count(*) from {table.name}")
        assert count == again.result.tables[table.name]
