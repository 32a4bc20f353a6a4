"""Hand-made SCD2 warehouses for the transform tests (DuckDB file or PostgreSQL database).

The tables follow the input contract: every column of ``histar.datagen.schema`` plus
start_date, end_date (current = 9999-12-31), source_id_audit, insert_id, update_id.
``sqlite_types=True`` mimics a history loaded from SQLite: timestamps as VARCHAR, money as
DOUBLE, so the staging casts are exercised.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import psycopg

from histar.datagen.schema import TABLES, TABLES_BY_NAME

END = "9999-12-31 00:00:00"
SCHEMA = "warehouse"


class Warehouse:
    def __init__(self, engine: str, location: str, *, sqlite_types: bool = False) -> None:
        self.engine = engine
        self.location = location  # duckdb file path or postgres URL
        self.sqlite_types = sqlite_types

    # -- dbt target -------------------------------------------------------------------
    def target(self) -> dict[str, Any]:
        if self.engine == "duckdb":
            return {"type": "duckdb", "path": self.location, "threads": 1}
        info = psycopg.conninfo.conninfo_to_dict(self.location)
        return {
            "type": "postgres",
            "host": info.get("host", "127.0.0.1"),
            "port": int(info.get("port", 5432)),
            "user": info.get("user", "postgres"),
            "password": info.get("password", ""),
            "dbname": info["dbname"],
            "schema": "star_schema",
            "threads": 2,
        }

    # -- SQL --------------------------------------------------------------------------
    def _run(self, sql: str, params: list | tuple = (), fetch: bool = False) -> list[tuple]:
        if self.engine == "duckdb":
            con = duckdb.connect(self.location)
            try:
                cur = con.execute(sql, list(params))
                return cur.fetchall() if fetch else []
            finally:
                con.close()
        with psycopg.connect(self.location, autocommit=True) as con:
            cur = con.execute(sql.replace("?", "%s"), list(params))
            return cur.fetchall() if fetch else []

    def query(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        return self._run(sql, params, fetch=True)

    def query_dicts(self, sql: str) -> list[dict[str, Any]]:
        if self.engine == "duckdb":
            con = duckdb.connect(self.location, read_only=True)
            try:
                cur = con.execute(sql)
                names = [d[0] for d in cur.description]
                return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
            finally:
                con.close()
        with psycopg.connect(self.location) as con:
            cur = con.execute(sql)
            names = [d.name for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _type(self, sql_type: str) -> str:
        if self.sqlite_types and sql_type == "timestamp":
            return "varchar"
        if self.sqlite_types and sql_type.startswith("numeric"):
            return "double"
        return sql_type

    def create(self) -> Warehouse:
        stmts = [f"create schema if not exists {SCHEMA}"]
        for table in TABLES:
            cols = [f"{name} {self._type(t)}" for name, t in table.columns]
            cols += [
                "start_date timestamp",
                "end_date timestamp",
                "source_id_audit int",
                "insert_id bigint",
                "update_id bigint",
            ]
            stmts.append(f"create table {SCHEMA}.{table.name} ({', '.join(cols)})")
        for stmt in stmts:
            self._run(stmt)
        return self

    # -- SCD2 writes ------------------------------------------------------------------
    def insert(self, table: str, row: dict[str, Any], *, at: str, batch: int, source: int = 1):
        """Insert a new current version of ``row`` valid from ``at``."""
        names = TABLES_BY_NAME[table].column_names
        unknown = set(row) - set(names)
        assert not unknown, unknown
        values = [row.get(n) for n in names] + [at, END, source, batch]
        cols = [*names, "start_date", "end_date", "source_id_audit", "insert_id"]
        marks = ", ".join("?" for _ in cols)
        self._run(f"insert into {SCHEMA}.{table} ({', '.join(cols)}) values ({marks})", values)

    def close(self, table: str, key: int, *, at: str, batch: int) -> None:
        """Close the current version of ``key`` at ``at`` (a delete at the source)."""
        pk = TABLES_BY_NAME[table].primary_key[0]
        self._run(
            f"update {SCHEMA}.{table} set end_date = ?, update_id = ? "
            f"where {pk} = ? and end_date = ?",
            [at, batch, key, END],
        )

    def change(self, table: str, row: dict[str, Any], *, at: str, batch: int) -> None:
        """A source update: close the current version, insert the new one (full row)."""
        pk = TABLES_BY_NAME[table].primary_key[0]
        self.close(table, row[pk], at=at, batch=batch)
        self.insert(table, row, at=at, batch=batch)

    def current(self, table: str, key: int) -> dict[str, Any]:
        pk = TABLES_BY_NAME[table].primary_key[0]
        names = TABLES_BY_NAME[table].column_names
        rows = self.query(
            f"select {', '.join(names)} from {SCHEMA}.{table} where {pk} = ? and end_date = ?",
            [key, END],
        )
        assert len(rows) == 1, (table, key, rows)
        return dict(zip(names, rows[0], strict=True))


def new_warehouse(engine: str, tmp_path: Path, pg_url: str | None) -> Warehouse:
    if engine == "duckdb":
        return Warehouse("duckdb", str(tmp_path / "wh.duckdb"), sqlite_types=True).create()
    assert pg_url
    return Warehouse("postgres", pg_url).create()
