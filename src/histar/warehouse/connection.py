"""One small interface over the two warehouse engines: DuckDB (a file) and PostgreSQL.

Table data enters as Arrow record batches (DuckDB scans them; PostgreSQL gets them over
binary COPY through ADBC); everything else is set-based SQL that runs on both.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import pyarrow as pa

log = logging.getLogger(__name__)

Dialect = Literal["duckdb", "postgres"]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qualify(schema: str, table: str) -> str:
    return f"{quote(schema)}.{quote(table)}"


def duckdb_path(url: str, project_dir: Path) -> Path:
    """`duckdb:///rel.duckdb` is relative to the project folder, `duckdb:////abs.duckdb` not."""
    rest = url.split("://", 1)[1]
    path = Path(rest[1:] if rest.startswith("/") else rest)
    return path if path.is_absolute() else project_dir / path


def dialect_of(url: str) -> Dialect:
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme == "duckdb":
        return "duckdb"
    if scheme in ("postgresql", "postgres"):
        return "postgres"
    raise ValueError(
        f"unsupported warehouse URL scheme {scheme!r}: use duckdb:/// or postgresql://"
    )


class Warehouse:
    """A connection to the warehouse; `sql()` for statements, `ingest()` for Arrow data."""

    dialect: Dialect

    def sql(self, statement: str) -> int:
        """Run one statement; returns the number of rows it changed (or -1)."""
        raise NotImplementedError

    def query(self, statement: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def arrow(self, statement: str) -> pa.Table:
        raise NotImplementedError

    def ingest(
        self, schema: str, table: str, data: pa.RecordBatchReader, *, append: bool = False
    ) -> int:
        """Replace (or append to) `schema.table` with the batches of `data`; returns rows."""
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.sql("begin")
        try:
            yield
        except BaseException:
            self.sql("rollback")
            raise
        self.sql("commit")

    def close(self) -> None:
        raise NotImplementedError

    def fork(self) -> Warehouse:
        """Another connection to the same warehouse, for another thread."""
        raise NotImplementedError

    def columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        rows = self.query(
            "select column_name, data_type from information_schema.columns "
            f"where table_schema = '{schema}' and table_name = '{table}' order by ordinal_position"
        )
        return [(str(n), str(t)) for n, t in rows]

    def tables(self, schema: str) -> list[str]:
        """The base tables of a schema (no views), by name."""
        rows = self.query(
            "select table_name from information_schema.tables "
            f"where table_schema = '{schema}' and table_type = 'BASE TABLE' order by 1"
        )
        return [str(t) for (t,) in rows]

    def table_exists(self, schema: str, table: str) -> bool:
        return bool(self.columns(schema, table))

    def schema_exists(self, schema: str) -> bool:
        rows = self.query(
            f"select count(*) from information_schema.schemata where schema_name = '{schema}'"
        )
        return rows[0][0] > 0

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DuckDBWarehouse(Warehouse):
    dialect: Dialect = "duckdb"

    def __init__(
        self,
        path: Path,
        *,
        read_only: bool = False,
        con: Any = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        import duckdb

        self.path = path
        if con is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(path), read_only=read_only)
            for key, value in (settings or {}).items():
                con.execute(
                    f"set {key} = "
                    + (f"'{value}'" if isinstance(value, str) else str(value).lower())
                )
        self.con = con

    def fork(self) -> Warehouse:
        return DuckDBWarehouse(self.path, con=self.con.cursor())

    def sql(self, statement: str) -> int:
        rows = self.con.execute(statement).fetchall()
        if rows and len(rows) == 1 and len(rows[0]) == 1 and isinstance(rows[0][0], int):
            return int(rows[0][0])
        return -1

    def query(self, statement: str) -> list[tuple[Any, ...]]:
        return self.con.execute(statement).fetchall()

    def arrow(self, statement: str) -> pa.Table:
        return self.con.sql(statement).to_arrow_table()

    def ingest(
        self, schema: str, table: str, data: pa.RecordBatchReader, *, append: bool = False
    ) -> int:
        view = f"_histar_ingest_{table}"
        target = qualify(schema, table)
        self.con.register(view, data)
        try:
            if append:
                self.con.execute(f"create table if not exists {target} as from {view} limit 0")
                return self.sql(f"insert into {target} by name from {view}")
            self.con.execute(f"create or replace table {target} as from {view}")
        finally:
            self.con.unregister(view)
        return int(self.query(f"select count(*) from {target}")[0][0])

    def checkpoint(self) -> None:
        self.con.execute("checkpoint")

    def close(self) -> None:
        self.con.close()


class PostgresWarehouse(Warehouse):
    dialect: Dialect = "postgres"

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self.con = psycopg.connect(url, autocommit=True)

    def sql(self, statement: str) -> int:
        with self.con.cursor() as cur:
            cur.execute(statement.encode())
            return cur.rowcount

    def query(self, statement: str) -> list[tuple[Any, ...]]:
        with self.con.cursor() as cur:
            cur.execute(statement.encode())
            return cur.fetchall()

    def arrow(self, statement: str) -> pa.Table:
        import adbc_driver_postgresql.dbapi as adbc

        with adbc.connect(self.url) as con, con.cursor() as cur:
            cur.execute(statement)
            return cur.fetch_arrow_table()

    def ingest(
        self, schema: str, table: str, data: pa.RecordBatchReader, *, append: bool = False
    ) -> int:
        import adbc_driver_postgresql.dbapi as adbc

        if not append:
            self.sql(f"drop table if exists {qualify(schema, table)}")
        mode = "create_append" if append else "create"
        with adbc.connect(self.url) as con:
            with con.cursor() as cur:
                rows = cur.adbc_ingest(table, data, mode=mode, db_schema_name=schema)
            con.commit()
        return int(rows) if rows is not None and rows >= 0 else self._count(schema, table)

    def fork(self) -> Warehouse:
        return PostgresWarehouse(self.url)

    def _count(self, schema: str, table: str) -> int:
        return int(self.query(f"select count(*) from {qualify(schema, table)}")[0][0])

    def close(self) -> None:
        self.con.close()


def connect(url: str, project_dir: Path, *, read_only: bool = False) -> Warehouse:
    if dialect_of(url) == "duckdb":
        return DuckDBWarehouse(duckdb_path(url, project_dir), read_only=read_only)
    return PostgresWarehouse(url)
