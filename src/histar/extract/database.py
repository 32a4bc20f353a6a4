"""Read relational source tables as streams of Arrow record batches (ADBC drivers).

Snapshot tables are read whole; incremental tables only from their cursor's high-water mark
on (inclusive: rows that share the last cursor value are read again and the SCD2 merge drops
the unchanged ones, so a row committed late with the same cursor value is never lost).
"""

from __future__ import annotations

import importlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from histar.config.model import TableConfig
from histar.warehouse.connection import quote

log = logging.getLogger(__name__)


class SourceError(Exception):
    """The source cannot be read: unreachable, missing table or column."""


_DRIVERS = {
    "sqlite": "adbc_driver_sqlite.dbapi",
    "postgresql": "adbc_driver_postgresql.dbapi",
    "postgres": "adbc_driver_postgresql.dbapi",
}


def preload_drivers(urls: list[str]) -> None:
    """Import the ADBC drivers of these sources in a background thread. Their DB-API module
    imports pyarrow.dataset and with it pandas (~1 s of CPU); started while the batch copies
    the warehouse file (I/O), that second is hidden. The extract's own import waits on
    Python's import lock if the thread has not finished."""
    modules = {_DRIVERS[s] for u in urls if (s := u.split("://", 1)[0].split("+")[0]) in _DRIVERS}

    def load() -> None:
        for module in sorted(modules):
            try:
                importlib.import_module(module)
            except ImportError:  # the extract reports it where it matters
                log.debug("could not preload %s", module, exc_info=True)

    if modules:
        threading.Thread(target=load, name="preload-adbc", daemon=True).start()


def sqlite_path(url: str, project_dir: Path) -> Path:
    rest = url.split("://", 1)[1]
    path = Path(rest[1:] if rest.startswith("/") else rest)
    return path if path.is_absolute() else project_dir / path


# SQLite keeps any value in any column; ADBC fixes each column's Arrow type from the first
# rows it sees. Casting every column to its declared affinity and putting one typed sentinel
# row first gives a stable schema even when a column starts with NULLs.
def _affinity(decl: str) -> tuple[str, str]:
    d = decl.upper()
    if "INT" in d or "BOOL" in d:
        return "integer", "0"
    if any(k in d for k in ("CHAR", "CLOB", "TEXT", "DATE", "TIME")) or not d:
        return "text", "''"
    return "real", "0"


def _sqlite_query(
    db: Path, table: TableConfig, since: Any, columns: list[str] | None = None
) -> tuple[str, tuple[Any, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        info = con.execute(f"pragma table_info({quote(table.name)})").fetchall()
    if not info:
        raise SourceError(f"table {table.name!r} not found in {db.name}")
    cols = [(row[1], *_affinity(row[2] or "")) for row in info]
    if columns is not None:
        missing = sorted(set(columns) - {c for c, _, _ in cols})
        if missing:
            raise SourceError(f"table {table.name!r} has no column(s) {missing}")
        cols = [c for c in cols if c[0] in columns]
    sentinel = ", ".join(f"cast({v} as {t}) as {quote(c)}" for c, t, v in cols)
    body = ", ".join(f"cast({quote(c)} as {t}) as {quote(c)}" for c, t, _ in cols)
    where, params = "", ()
    if since is not None and table.cursor:
        where, params = f" where {quote(table.cursor)} >= ?", (since,)
    return f"select {sentinel} union all select {body} from {quote(table.name)}{where}", params


def _drop_first_row(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    first = True
    for batch in reader:
        if first:
            batch, first = batch.slice(1), False
        if batch.num_rows:
            yield batch


def renamed(reader: pa.RecordBatchReader, rename: Callable[[str], str]) -> pa.RecordBatchReader:
    names = [rename(n) for n in reader.schema.names]
    if names == reader.schema.names:
        return reader
    schema = pa.schema([f.with_name(n) for f, n in zip(reader.schema, names, strict=True)])
    batches = (b.rename_columns(names) for b in reader)
    return pa.RecordBatchReader.from_batches(schema, batches)


@contextmanager
def read_table(
    url: str,
    table: TableConfig,
    *,
    since: Any = None,
    batch_rows: int,
    project_dir: Path,
    rename: Callable[[str], str] | None = None,
    columns: list[str] | None = None,
) -> Iterator[pa.RecordBatchReader]:
    """Stream one source table (from `since` on, for incremental tables; only `columns`
    when given, e.g. the primary key for delete detection)."""
    scheme = url.split("://", 1)[0].split("+")[0]
    try:
        if scheme == "sqlite":
            db = sqlite_path(url, project_dir)
            with _read_sqlite(db, table, since, batch_rows, columns) as r:
                yield renamed(r, rename) if rename else r
        elif scheme in ("postgresql", "postgres"):
            with _read_postgres(url, table, since, batch_rows, columns) as r:
                yield renamed(r, rename) if rename else r
        else:
            raise SourceError(f"unsupported source URL scheme {scheme!r}")
    except SourceError:
        raise
    except Exception as exc:
        if exc.__class__.__module__.startswith(("adbc", "sqlite3")):
            raise SourceError(f"reading {table.name}: {exc}") from exc
        raise


@contextmanager
def _read_sqlite(
    db: Path, table: TableConfig, since: Any, batch_rows: int, columns: list[str] | None
) -> Iterator[pa.RecordBatchReader]:
    import adbc_driver_sqlite.dbapi as adbc

    if not db.exists():
        raise SourceError(f"SQLite source {db} does not exist (run `histar datagen`?)")
    query, params = _sqlite_query(db, table, since, columns)
    with adbc.connect(str(db)) as con, con.cursor() as cur:
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
        cur.execute(query, params or None)
        reader = cur.fetch_record_batch()
        yield pa.RecordBatchReader.from_batches(reader.schema, _drop_first_row(reader))


def _numeric_type(field: pa.Field) -> pa.DataType | None:
    """ADBC hands PostgreSQL `numeric` over as text; its typmod gives precision and scale."""
    meta = field.metadata or {}
    if meta.get(b"POSTGRESQL:type") != b"numeric":
        return None
    typmod = int(meta.get(b"POSTGRESQL:typmod", b"-1"))
    if typmod < 4:
        return pa.decimal128(38, 10)
    precision, scale = ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF
    return pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)


def _exact_numerics(reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
    targets = {i: _numeric_type(f) for i, f in enumerate(reader.schema)}
    targets = {i: t for i, t in targets.items() if t is not None}
    if not targets:
        return reader
    fields = [
        pa.field(f.name, targets[i]) if i in targets else f for i, f in enumerate(reader.schema)
    ]
    schema = pa.schema(fields)

    def batches() -> Iterator[pa.RecordBatch]:
        for b in reader:
            cols = [
                pc.cast(c.storage if isinstance(c, pa.ExtensionArray) else c, targets[i])
                if i in targets
                else c
                for i, c in enumerate(b.columns)
            ]
            yield pa.RecordBatch.from_arrays(cols, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


@contextmanager
def _read_postgres(
    url: str, table: TableConfig, since: Any, batch_rows: int, columns: list[str] | None
) -> Iterator[pa.RecordBatchReader]:
    import adbc_driver_postgresql.dbapi as adbc

    schema, _, name = table.name.rpartition(".")
    target = f"{quote(schema)}.{quote(name)}" if schema else quote(name)
    where, params = "", None
    if since is not None and table.cursor:
        where, params = f" where {quote(table.cursor)} >= $1", (since,)
    with adbc.connect(url) as con, con.cursor() as cur:
        cur.adbc_statement.set_options(
            **{"adbc.postgresql.batch_size_hint_bytes": str(max(batch_rows * 64, 1 << 20))}
        )
        select = ", ".join(quote(c) for c in columns) if columns is not None else "*"
        cur.execute(f"select {select} from {target}{where}", params)
        yield _exact_numerics(cur.fetch_record_batch())
