"""Source tables as Arrow streams: stable types from SQLite, exact numerics from PostgreSQL."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import psycopg
import pyarrow as pa
import pytest

from histar.config.model import TableConfig
from histar.extract.database import SourceError, read_table


def test_sqlite_types_are_stable_when_a_column_starts_with_nulls(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("create table t (id integer primary key, price numeric(12,2), note text)")
        rows = [(i, 25, None) for i in range(3000)] + [(3000, 29.99, "late text")]
        con.executemany("insert into t values (?, ?, ?)", rows)
    table = TableConfig(name="t", primary_key=["id"])
    with read_table(f"sqlite:///{db}", table, batch_rows=1000, project_dir=tmp_path) as r:
        data = r.read_all()
    assert data.schema.types == [pa.int64(), pa.float64(), pa.string()]
    assert data.num_rows == 3001  # the typed sentinel row is gone
    assert data.slice(3000).to_pylist() == [{"id": 3000, "price": 29.99, "note": "late text"}]


def test_sqlite_incremental_reads_from_the_cursor_on(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("create table e (id integer primary key, updated_at timestamp)")
        con.executemany(
            "insert into e values (?, ?)",
            [(1, "2025-01-01 00:00:00"), (2, "2025-01-02 00:00:00"), (3, "2025-01-03 00:00:00")],
        )
    table = TableConfig(name="e", primary_key=["id"], mode="incremental", cursor="updated_at")
    with read_table(
        f"sqlite:///{db}", table, since="2025-01-02 00:00:00", batch_rows=10, project_dir=tmp_path
    ) as r:
        assert r.read_all().column("id").to_pylist() == [2, 3]


def test_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    table = TableConfig(name="t", primary_key=["id"])
    with (
        pytest.raises(SourceError, match="does not exist"),
        read_table("sqlite:///nope.sqlite", table, batch_rows=10, project_dir=tmp_path),
    ):
        pass


@pytest.mark.postgres
def test_postgres_numeric_arrives_as_exact_decimal(pg_database: str, tmp_path: Path) -> None:
    with psycopg.connect(pg_database, autocommit=True) as con:
        con.execute("create table m (id int primary key, price numeric(12,2), ratio numeric)")
        con.execute("insert into m values (1, 29.99, 0.125), (2, null, null)")
    table = TableConfig(name="m", primary_key=["id"])
    with read_table(pg_database, table, batch_rows=10, project_dir=tmp_path) as r:
        data = r.read_all()
    assert data.schema.field("price").type == pa.decimal128(12, 2)
    assert data.to_pylist()[0]["price"] == Decimal("29.99")
    assert data.to_pylist()[0]["ratio"] == Decimal("0.125")


def test_snake_case_naming_lands_pascal_case_sources(tmp_path: Path) -> None:
    from histar.config.model import DatabaseSource, ProjectConfig, TransformConfig, snake_case
    from histar.pipeline import run_batch
    from histar.warehouse.connection import connect

    assert [snake_case(n) for n in ("InvoiceLine", "AlbumId", "HTTPServer", "album_id")] == [
        "invoice_line",
        "album_id",
        "http_server",
        "album_id",
    ]
    db = tmp_path / "s.sqlite"
    with sqlite3.connect(db) as con:
        con.execute(
            'create table "InvoiceLine" ("InvoiceLineId" integer primary key, "UnitPrice" numeric)'
        )
        con.execute('insert into "InvoiceLine" values (1, 0.99), (2, 1.99)')
    source = DatabaseSource(
        id=1,
        name="chinook",
        url=f"sqlite:///{db}",
        naming="snake_case",
        tables=[TableConfig(name="InvoiceLine", primary_key=["InvoiceLineId"])],
    )
    cfg = ProjectConfig(sources=[source], transform=TransformConfig(dbt_project=""))
    cfg.project_dir = tmp_path
    result = run_batch(cfg, full=True)
    assert result.tables[0].table == "invoice_line"
    with connect(cfg.warehouse.url, tmp_path) as wh:
        cols = [c for c, _ in wh.columns("warehouse", "invoice_line")]
        assert cols[:2] == ["invoice_line_id", "unit_price"]
        assert wh.query("select count(*) from raw.chinook__invoice_line")[0][0] == 2
