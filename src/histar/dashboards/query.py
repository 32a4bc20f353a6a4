"""Read the published warehouse for dashboards: bound parameters, consistent snapshots.

Filter values never enter the SQL text: `:name` is rewritten to the driver's placeholder
wrapped in an explicit cast (`cast($name as varchar)` on DuckDB, `cast(%(name)s as date)` on
psycopg) and the value is passed separately.

`snapshot(config)` opens one short read-only view of the *published* warehouse and reports
which batch it shows; every tile of a page is read through the same snapshot, so a page never
mixes two batches:

- DuckDB: a `read_only=True` connection to the published file. A batch publishes by renaming
  `<file>.next` over it, and an open connection keeps reading the file it opened, so a
  snapshot sees exactly one batch. Connections are closed right after the page's queries (a
  reader that stayed connected would block a writer that opens the published file) and are
  serialised within the process, because DuckDB shares one instance per path between
  concurrent connections of a process (a new connection could otherwise join an instance of
  the file that was replaced).
- PostgreSQL: one `repeatable read, read only` transaction that first takes a SHARE lock on
  `ops.batches`. The publishing transaction renames the schemas and then updates
  `ops.batches`; the lock orders the two (the reader either runs entirely before the publish
  commits or entirely after it), which plain MVCC does not, because schema names are
  resolved against the latest catalog, not the transaction's snapshot.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from histar.config.model import ProjectConfig
from histar.warehouse.connection import dialect_of, duckdb_path, qualify

_TOKEN = re.compile(
    r"""
      (?P<string>'(?:[^']|'')*')
    | (?P<ident>"(?:[^"]|"")*")
    | (?P<comment>--[^\n]*|/\*.*?\*/)
    | (?P<cast>::)
    | (?P<param>:(?P<name>[A-Za-z_][A-Za-z0-9_]*))
    """,
    re.VERBOSE | re.DOTALL,
)

# SQL type of each parameter kind (select filters are text, date ranges dates)
SQL_TYPES = {"varchar": "varchar", "date": "date", "bigint": "bigint"}

_duckdb_lock = threading.Lock()


class NotPublished(Exception):
    """The warehouse has no published batch yet."""


@dataclass(frozen=True)
class DataVersion:
    batch_id: int
    finished_at: datetime | None

    def describe(self) -> str:
        when = f"{self.finished_at:%Y-%m-%d %H:%M:%S} UTC" if self.finished_at else "?"
        return f"batch {self.batch_id}, published {when}"


def parameters(sql: str) -> list[str]:
    """The `:name` parameters of a statement, in order (strings, identifiers, comments and
    PostgreSQL `::` casts are skipped)."""
    return [m.group("name") for m in _TOKEN.finditer(sql) if m.group("name")]


def bind(
    sql: str, values: Mapping[str, Any], types: Mapping[str, str], dialect: str
) -> tuple[str, dict[str, Any]]:
    """Rewrite `:name` to the driver's placeholder (with a cast to `types[name]`).

    Returns the statement and the parameter dict for `execute`. Raises KeyError for a
    parameter without a value.
    """
    out: list[str] = []
    args: dict[str, Any] = {}
    pos = 0

    def text(chunk: str) -> str:
        # psycopg treats every % in the statement as a placeholder marker
        return chunk.replace("%", "%%") if dialect == "postgres" else chunk

    for m in _TOKEN.finditer(sql):
        name = m.group("name")
        if not name:
            continue
        out.append(text(sql[pos : m.start()]))
        if name not in values:
            raise KeyError(f"no value for parameter :{name}")
        sql_type = SQL_TYPES[types.get(name, "varchar")]
        placeholder = f"${name}" if dialect == "duckdb" else f"%({name})s"
        out.append(f"cast({placeholder} as {sql_type})")
        args[name] = values[name]
        pos = m.end()
    out.append(text(sql[pos:]))
    return "".join(out), args


def _normalise(table: pa.Table) -> pa.Table:
    """Decimals become float64 (charts and JSON want plain numbers)."""
    for i, f in enumerate(table.schema):
        if pa.types.is_decimal(f.type):
            # via Python floats: the nearest double of each value (an Arrow cast is not)
            values = [None if v is None else float(v) for v in table.column(i).to_pylist()]
            table = table.set_column(i, f.name, pa.array(values, pa.float64()))
    return table


def _rows_to_arrow(names: list[str], rows: list[tuple[Any, ...]]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    arrays = []
    for col in columns:
        values = [float(v) if isinstance(v, Decimal) else v for v in col]
        arrays.append(pa.array(values) if values else pa.array([], pa.null()))
    return pa.table(dict(zip(names, arrays, strict=True))) if names else pa.table({})


class Snapshot:
    """One consistent read-only view of the published warehouse (see the module doc)."""

    def __init__(self, config: ProjectConfig, dialect: str, con: Any) -> None:
        self.config, self.dialect, self.con = config, dialect, con
        self._version: DataVersion | None = None

    @property
    def version(self) -> DataVersion:
        if self._version is None:
            o = self.config.warehouse.ops_schema
            rows = self._fetch(
                f"select batch_id, finished_at from {qualify(o, 'batches')} "
                "where status = 'success' order by batch_id desc limit 1",
                {},
            )[1]
            if not rows:
                raise NotPublished("the warehouse has no published batch yet: run `histar run`")
            self._version = DataVersion(int(rows[0][0]), rows[0][1])
        return self._version

    def _fetch(self, sql: str, args: dict[str, Any]) -> tuple[list[str], list[tuple]]:
        if self.dialect == "duckdb":
            cur = self.con.execute(sql, args) if args else self.con.execute(sql)
            names = [d[0] for d in cur.description]
            return names, cur.fetchall()
        with self.con.cursor() as cur:
            cur.execute(sql, args if args else None)
            names = [d.name for d in cur.description]
            return names, cur.fetchall()

    def run(
        self,
        sql: str,
        values: Mapping[str, Any] | None = None,
        types: Mapping[str, str] | None = None,
    ) -> pa.Table:
        """Run one statement with bound parameters; `:batch_id` is this snapshot's batch."""
        values = dict(values or {})
        types = dict(types or {})
        if "batch_id" in parameters(sql):
            values["batch_id"] = self.version.batch_id
            types["batch_id"] = "bigint"
        statement, args = bind(sql, values, types, self.dialect)
        if self.dialect == "duckdb":
            return _normalise(self.con.sql(statement, params=args).to_arrow_table())
        names, rows = self._fetch(statement, args)
        return _rows_to_arrow(names, rows)

    def rows(self, sql: str, values: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        table = self.run(sql, values)
        return list(zip(*(c.to_pylist() for c in table.columns), strict=True))


def _connect_duckdb(path: Any, attempts: int = 50) -> Any:
    import duckdb

    for i in range(attempts):
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.IOException as exc:  # a writer holds the file for a moment
            if "lock" not in str(exc).lower() or i == attempts - 1:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


@contextmanager
def snapshot(config: ProjectConfig) -> Iterator[Snapshot]:
    """A short read-only, single-batch view of the published warehouse."""
    url = config.warehouse.url
    if dialect_of(url) == "duckdb":
        path = duckdb_path(url, config.project_dir)
        with _duckdb_lock:
            if not path.exists():
                raise NotPublished(f"{path} does not exist yet: run `histar run --full`")
            con = _connect_duckdb(path)
            try:
                snap = Snapshot(config, "duckdb", con)
                _ = snap.version  # fail early on an empty warehouse
                yield snap
            finally:
                con.close()
        return

    import psycopg
    from psycopg import sql as pgsql

    con = psycopg.connect(url, autocommit=True)
    try:
        con.execute("begin isolation level repeatable read, read only")
        try:
            con.execute(
                pgsql.SQL("lock table {}.batches in share mode").format(
                    pgsql.Identifier(config.warehouse.ops_schema)
                )
            )
        except psycopg.errors.UndefinedTable:
            raise NotPublished(
                "the warehouse has no published batch yet: run `histar run`"
            ) from None
        snap = Snapshot(config, "postgres", con)
        _ = snap.version
        yield snap
    finally:
        try:
            con.execute("rollback")
        finally:
            con.close()


def data_version(config: ProjectConfig) -> DataVersion:
    """The published batch: (batch_id, finished_at) of the last successful batch."""
    with snapshot(config) as snap:
        return snap.version


def run_query(
    config: ProjectConfig,
    sql: str,
    values: Mapping[str, Any] | None = None,
    types: Mapping[str, str] | None = None,
) -> pa.Table:
    """One statement on its own snapshot (prefer `snapshot()` for several)."""
    with snapshot(config) as snap:
        return snap.run(sql, values, types)


def as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
