"""Read-only views of the published warehouse: recent batches, one row's versions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from histar.config.model import DatabaseSource, ProjectConfig
from histar.pipeline import ops
from histar.pipeline.batch import NotLoaded
from histar.warehouse.connection import Warehouse, connect, dialect_of, duckdb_path, qualify, quote


@contextmanager
def published(config: ProjectConfig) -> Iterator[Warehouse]:
    url = config.warehouse.url
    if dialect_of(url) == "duckdb" and not duckdb_path(url, config.project_dir).exists():
        raise NotLoaded("the warehouse has no published batch yet: run `histar run --full`")
    wh = connect(url, config.project_dir, read_only=True)
    try:
        if not wh.table_exists(config.warehouse.ops_schema, "batches"):
            raise NotLoaded("the warehouse has no published batch yet: run `histar run --full`")
        yield wh
    finally:
        wh.close()


@dataclass
class Status:
    batches: list[dict[str, Any]]
    tables: list[dict[str, Any]]


def status(config: ProjectConfig, limit: int = 10) -> Status:
    o = config.warehouse.ops_schema
    with published(config) as wh:
        batches = ops.recent_batches(wh, o, limit)
        ok = [b for b in batches if b["status"] == "success"]
        tables = ops.batch_tables(wh, o, ok[0]["batch_id"]) if ok else []
    return Status(batches, tables)


def _primary_key(config: ProjectConfig, table: str) -> list[str]:
    for source in config.sources:
        if isinstance(source, DatabaseSource):
            for t in source.tables:
                if source.landed(t.name) == table:
                    return [source.landed(k) for k in t.primary_key]
        elif source.table == table:
            return source.primary_key
    raise KeyError(f"no source table named {table!r} in histar.toml")


def row_history(config: ProjectConfig, table: str, key: str) -> tuple[list[str], list[tuple]]:
    """All versions of one row (composite keys as comma-separated values), oldest first."""
    pk = _primary_key(config, table)
    values = key.split(",")
    if len(values) != len(pk):
        raise ValueError(f"{table} has key ({', '.join(pk)}): give {len(pk)} value(s)")
    target = qualify(config.warehouse.history_schema, table)
    where = " and ".join(
        f"cast({quote(k)} as varchar) = '{v.strip().replace(chr(39), chr(39) * 2)}'"
        for k, v in zip(pk, values, strict=True)
    )
    with published(config) as wh:
        names = [n for n, _ in wh.columns(config.warehouse.history_schema, table)]
        if not names:
            raise KeyError(f"{target} does not exist yet")
        rows = wh.query(
            f"select * from {target} where {where} order by source_id_audit, start_date"
        )
    return names, rows
