"""Source database access for the generator: URL parsing, DDL, Arrow ingest via ADBC."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa

from histar.datagen.schema import MONEY, TS, Table

log = logging.getLogger(__name__)

MONEY_TYPE = pa.decimal128(12, 2)


@dataclass(frozen=True)
class SourceUrl:
    """A parsed source URL: ``sqlite:///path.sqlite`` or ``postgresql://user@host:port/db``."""

    dialect: str  # "sqlite" | "postgresql"
    uri: str  # path for SQLite, libpq URI for PostgreSQL

    @property
    def path(self) -> Path:
        if self.dialect != "sqlite":
            raise ValueError("only SQLite sources have a path")
        return Path(self.uri)


def parse_source_url(url: str) -> SourceUrl:
    """Parse a source URL; accepts SQLAlchemy-style driver suffixes (``postgresql+psycopg://``)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("source URL must look like sqlite:///file.sqlite or postgresql://host/db")
    base = scheme.split("+", 1)[0].lower()
    if base == "sqlite":
        # sqlite:///relative.sqlite -> "relative.sqlite"; sqlite:////abs/path -> "/abs/path"
        path = rest[1:] if rest.startswith("/") else rest
        if not path or path == ":memory:":
            raise ValueError("a SQLite source needs a file path: sqlite:///path/to/source.sqlite")
        return SourceUrl("sqlite", path)
    if base in ("postgresql", "postgres"):
        parts = urlsplit(f"postgresql://{rest}")
        if not parts.hostname or not parts.path.strip("/"):
            raise ValueError("a PostgreSQL source URL needs a host and a database name")
        return SourceUrl("postgresql", f"postgresql://{rest}")
    raise ValueError(f"unsupported source URL scheme {scheme!r}: use sqlite:/// or postgresql://")


def ts_literal(dialect: str, seconds: int) -> str:
    """A SQL literal for a timestamp given in epoch seconds."""
    text = str(np.datetime64(int(seconds), "s")).replace("T", " ")
    return f"'{text}'" if dialect == "sqlite" else f"timestamp '{text}'"


class Source:
    """One ADBC connection to the source; all writes happen in one transaction until commit()."""

    def __init__(self, url: SourceUrl, conn: Any) -> None:
        self.url = url
        self.dialect = url.dialect
        self.conn = conn
        self.cur = conn.cursor()

    def execute(self, sql: str) -> None:
        self.cur.execute(sql)

    def query(self, sql: str) -> pa.Table:
        self.cur.execute(sql)
        table: pa.Table = self.cur.fetch_arrow_table()
        return table

    def scalar(self, sql: str) -> Any:
        self.cur.execute(sql)
        row = self.cur.fetchone()
        return None if row is None else row[0]

    def ingest(self, name: str, data: pa.Table, *, temporary: bool = False) -> None:
        """Append (or, for temporary tables, create) ``name`` from a logical Arrow table."""
        mode = "create" if temporary else "append"
        self.cur.adbc_ingest(name, self.adapt(data), mode=mode, temporary=temporary)

    def adapt(self, data: pa.Table) -> pa.Table:
        """SQLite stores timestamps as ISO text and money as REAL; PostgreSQL takes Arrow types."""
        if self.dialect != "sqlite":
            return data
        columns = []
        for col in data.columns:
            if pa.types.is_timestamp(col.type):
                col = col.cast(pa.string())
            elif pa.types.is_decimal(col.type):
                col = col.cast(pa.string()).cast(pa.float64())  # exact shortest decimals
            columns.append(col)
        return pa.table(columns, names=data.column_names)

    def create_table(
        self, table: Table, *, primary_key: bool = True, cascade: bool = False
    ) -> None:
        drop = " cascade" if cascade and self.dialect != "sqlite" else ""
        self.execute(f"drop table if exists {table.name}{drop}")
        cols = ", ".join(f"{name} {kind}" for name, kind in table.columns)
        pk = f", primary key ({', '.join(table.primary_key)})" if primary_key else ""
        self.execute(f"create table {table.name} ({cols}{pk})")

    def add_primary_key(self, table: Table) -> None:
        self.execute(f"alter table {table.name} add primary key ({', '.join(table.primary_key)})")

    def commit(self) -> None:
        self.conn.commit()


@contextmanager
def connect(url: str | SourceUrl, *, fresh: bool = False) -> Iterator[Source]:
    """Open the source; ``fresh`` removes an existing SQLite file first (generate replaces it)."""
    parsed = parse_source_url(url) if isinstance(url, str) else url
    if parsed.dialect == "sqlite":
        import adbc_driver_sqlite.dbapi as driver

        path = parsed.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if fresh:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        conn = driver.connect(str(path))
    else:
        import adbc_driver_postgresql.dbapi as pg_driver

        conn = pg_driver.connect(parsed.uri)
    source = Source(parsed, conn)
    try:
        yield source
    except BaseException:
        conn.rollback()
        raise
    finally:
        source.cur.close()
        conn.close()


def money_array(cents: np.ndarray) -> pa.Array:
    """Exact decimal(12,2) values from integer cents (no float rounding)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(MONEY_TYPE, len(cents), [None, pa.py_buffer(words)])


def ts_array(seconds: np.ndarray) -> pa.Array:
    """Naive timestamps at whole seconds from epoch seconds."""
    return pa.array(np.asarray(seconds, dtype=np.int64).astype("datetime64[s]"))


def arrow_type(kind: str) -> pa.DataType:
    if kind == TS:
        return pa.timestamp("s")
    if kind == MONEY:
        return MONEY_TYPE
    if kind == "bigint":
        return pa.int64()
    return pa.string()


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([(name, arrow_type(kind)) for name, kind in table.columns])
