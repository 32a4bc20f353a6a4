"""The `ops` schema: one row per batch, one per table and batch, and the CSV files loaded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from histar.history.scd2 import ts_literal
from histar.warehouse.connection import Warehouse, qualify


def _str(value: str | None) -> str:
    return "null" if value is None else "'" + value.replace("'", "''") + "'"


def ensure_ops(wh: Warehouse, ops: str, raw: str) -> None:
    for schema in (ops, raw):
        wh.sql(f"create schema if not exists {schema}")
    wh.sql(
        f"create table if not exists {qualify(ops, 'batches')} ("
        "batch_id bigint primary key, kind varchar(16) not null, status varchar(16) not null, "
        "started_at timestamp not null, finished_at timestamp, extracted_at timestamp not null, "
        "failed_step varchar(16), error text)"
    )
    wh.sql(
        f"create table if not exists {qualify(ops, 'batch_tables')} ("
        "batch_id bigint not null, table_name varchar(255) not null, source_id integer not null, "
        "mode varchar(16) not null, rows_read bigint not null, rows_loaded bigint not null, "
        "rows_rejected bigint not null, versions_inserted bigint not null, "
        "versions_closed bigint not null, seconds double precision not null)"
    )
    wh.sql(
        f"create table if not exists {qualify(ops, 'loaded_files')} ("
        "batch_id bigint not null, source_id integer not null, file_path text not null, "
        "sha256 varchar(64) not null, status varchar(16) not null, rows_loaded bigint not null, "
        "rows_rejected bigint not null)"
    )
    wh.sql(
        f"create table if not exists {qualify(raw, '_rejected_rows')} ("
        "batch_id bigint not null, source_id integer not null, file_path text not null, "
        "line bigint, reason text not null, raw_text text)"
    )


def next_batch(wh: Warehouse, ops: str) -> tuple[int, datetime | None]:
    """The next batch id and the last extraction time (so that time never goes backwards)."""
    row = wh.query(f"select max(batch_id), max(extracted_at) from {qualify(ops, 'batches')}")[0]
    return (int(row[0] or 0) + 1, row[1])


def insert_batch(
    wh: Warehouse, ops: str, batch_id: int, kind: str, started: datetime, extracted: datetime
) -> None:
    wh.sql(
        f"insert into {qualify(ops, 'batches')} (batch_id, kind, status, started_at, extracted_at) "
        f"values ({batch_id}, '{kind}', 'running', {ts_literal(started)}, {ts_literal(extracted)})"
    )


def finish_batch(
    wh: Warehouse,
    ops: str,
    batch_id: int,
    status: str,
    finished: datetime,
    *,
    step: str | None = None,
    error: str | None = None,
) -> None:
    wh.sql(
        f"update {qualify(ops, 'batches')} set status = '{status}', "
        f"finished_at = {ts_literal(finished)}, failed_step = {_str(step)}, error = {_str(error)} "
        f"where batch_id = {batch_id}"
    )


def record_failed_batch(
    wh: Warehouse, ops: str, row: dict[str, Any], step: str, error: str
) -> None:
    """Keep a failed batch's id taken and its error visible in the published warehouse."""
    wh.sql(
        f"insert into {qualify(ops, 'batches')} values ({row['batch_id']}, '{row['kind']}', "
        f"'failed', {ts_literal(row['started_at'])}, {ts_literal(row['finished_at'])}, "
        f"{ts_literal(row['extracted_at'])}, {_str(step)}, {_str(error)})"
    )


def record_table(wh: Warehouse, ops: str, batch_id: int, stats: Any) -> None:
    wh.sql(
        f"insert into {qualify(ops, 'batch_tables')} values ({batch_id}, {_str(stats.table)}, "
        f"{stats.source_id}, '{stats.mode}', {stats.rows_read}, {stats.rows_loaded}, "
        f"{stats.rows_rejected}, {stats.inserted}, {stats.closed}, {stats.seconds:.6f})"
    )


def record_file(
    wh: Warehouse,
    ops: str,
    batch_id: int,
    source_id: int,
    path: str,
    sha: str,
    status: str,
    loaded: int,
    rejected: int,
) -> None:
    wh.sql(
        f"insert into {qualify(ops, 'loaded_files')} values ({batch_id}, {source_id}, "
        f"{_str(path)}, '{sha}', '{status}', {loaded}, {rejected})"
    )


def loaded_checksums(wh: Warehouse, ops: str, source_id: int) -> set[str]:
    rows = wh.query(
        f"select sha256 from {qualify(ops, 'loaded_files')} where source_id = {source_id}"
    )
    return {r[0] for r in rows}


def recent_batches(wh: Warehouse, ops: str, limit: int = 10) -> list[dict[str, Any]]:
    cols = ["batch_id", "kind", "status", "started_at", "finished_at", "failed_step", "error"]
    rows = wh.query(
        f"select {', '.join(cols)} from {qualify(ops, 'batches')} "
        f"order by batch_id desc limit {limit}"
    )
    return [dict(zip(cols, r, strict=True)) for r in rows]


def batch_tables(wh: Warehouse, ops: str, batch_id: int) -> list[dict[str, Any]]:
    cols = [
        "table_name",
        "source_id",
        "mode",
        "rows_read",
        "rows_loaded",
        "rows_rejected",
        "versions_inserted",
        "versions_closed",
        "seconds",
    ]
    rows = wh.query(
        f"select {', '.join(cols)} from {qualify(ops, 'batch_tables')} "
        f"where batch_id = {batch_id} order by source_id, table_name"
    )
    return [dict(zip(cols, r, strict=True)) for r in rows]
