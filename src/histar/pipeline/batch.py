"""One batch: extract → history → star → publish, all or nothing.

DuckDB: the batch works on a copy of the published file (`<file>.next`) and publishing is
one atomic rename, so readers see the previous batch until the new one is complete, and a
failure just deletes the copy. PostgreSQL: raw and history are written in place and undone
exactly from the audit columns on failure; dbt builds the star schema into a build schema
that is swapped with the published one in a single transaction.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from histar.config.loader import environment, redact
from histar.config.model import DatabaseSource, ProjectConfig
from histar.extract.database import preload_drivers
from histar.pipeline import ops
from histar.pipeline.lock import file_lock, pg_lock
from histar.warehouse.connection import (
    DuckDBWarehouse,
    PostgresWarehouse,
    Warehouse,
    dialect_of,
    duckdb_path,
    quote,
)

log = logging.getLogger(__name__)

STEPS = ("extract", "history", "star", "publish")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class TableStats:
    table: str
    source_id: int
    source: str
    mode: str
    raw_table: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    inserted: int = 0
    closed: int = 0
    seconds: float = 0.0
    keys: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # raw table with every primary key of the source table (incremental delete detection)
    keys_table: str | None = None


@dataclass
class BatchResult:
    batch_id: int
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    extracted_at: datetime
    tables: list[TableStats]
    step_seconds: dict[str, float]
    failed_step: str | None = None
    error: str | None = None
    warehouse: str = ""

    @property
    def seconds(self) -> float:
        end = self.finished_at or utcnow()
        return (end - self.started_at).total_seconds()


class NotLoaded(Exception):
    """An incremental batch was asked for before any full load."""


NOT_LOADED = "the warehouse is empty: run a full load first (histar run --full)"


class BatchFailed(Exception):
    def __init__(self, result: BatchResult) -> None:
        super().__init__(f"batch {result.batch_id} failed in {result.failed_step}: {result.error}")
        self.result = result


Progress = Callable[[str, dict[str, Any]], None]


@dataclass
class Batch:
    """The state one batch carries from step to step (Prefect tasks get the same object)."""

    config: ProjectConfig
    kind: str
    batch_id: int
    started_at: datetime
    extracted_at: datetime
    progress: Progress
    tables: list[TableStats] = field(default_factory=list)
    step_seconds: dict[str, float] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)
    # the project's own schema names (`config` differs during a full load on PostgreSQL)
    published: ProjectConfig | None = None

    @property
    def full(self) -> bool:
        return self.kind == "full"

    @property
    def builds_star(self) -> bool:
        """A dbt project is configured and there is something to build: a full load, or an
        incremental batch that inserted or closed versions (otherwise the star stays)."""
        if not self.config.transform.dbt_project:
            return False
        return self.full or any(s.inserted or s.closed for s in self.tables)

    @property
    def dialect(self) -> str:
        return dialect_of(self.config.warehouse.url)

    @property
    def published_path(self) -> Path:
        return duckdb_path(self.config.warehouse.url, self.config.project_dir)

    @property
    def work_path(self) -> Path:
        p = self.published_path
        return p.with_name(p.name + ".next")

    def connect(self) -> Warehouse:
        if self.dialect == "duckdb":
            from histar.pipeline.steps import duckdb_settings

            return DuckDBWarehouse(self.work_path, settings=duckdb_settings(self.config))
        return PostgresWarehouse(self.config.warehouse.url)

    def result(self, status: str, step: str | None = None, error: str | None = None) -> BatchResult:
        return BatchResult(
            batch_id=self.batch_id,
            kind=self.kind,
            status=status,
            started_at=self.started_at,
            finished_at=utcnow(),
            extracted_at=self.extracted_at,
            tables=self.tables,
            step_seconds=self.step_seconds,
            failed_step=step,
            error=error,
            warehouse=describe_warehouse(self.config),
        )


def describe_warehouse(config: ProjectConfig) -> str:
    if dialect_of(config.warehouse.url) == "duckdb":
        return str(duckdb_path(config.warehouse.url, config.project_dir))
    return redact(config.warehouse.url)


def _quiet(_event: str, _data: dict[str, Any]) -> None:
    return None


@contextmanager
def warehouse_lock(config: ProjectConfig, *, wait: bool) -> Iterator[None]:
    url = config.warehouse.url
    if dialect_of(url) == "duckdb":
        path = duckdb_path(url, config.project_dir)
        with file_lock(path.with_name(path.name + ".lock"), wait=wait):
            yield
    else:
        with pg_lock(url, config.warehouse.ops_schema, wait=wait):
            yield


SHADOW = "__next"


def _layer_schemas(config: ProjectConfig) -> list[str]:
    w = config.warehouse
    return [w.raw_schema, w.history_schema, w.staging_schema, w.ops_schema]


def _shadow_config(config: ProjectConfig) -> ProjectConfig:
    """A full load on PostgreSQL builds every layer in `<schema>__next` beside the published
    ones, so that a failure leaves them untouched; publish swaps them in one transaction."""
    w = config.warehouse
    shadow = w.model_copy(
        update={
            f: getattr(w, f) + SHADOW
            for f in ("raw_schema", "history_schema", "staging_schema", "ops_schema")
        }
    )
    copy = config.model_copy(update={"warehouse": shadow})
    copy.project_dir = config.project_dir
    return copy


def _drop_shadow(wh: Warehouse, published: ProjectConfig) -> None:
    for schema in _layer_schemas(published):
        wh.sql(f"drop schema if exists {quote(schema + SHADOW)} cascade")
    wh.sql(f"drop schema if exists {quote(published.warehouse.star_schema + '__build')} cascade")


def _publish_full_postgres(wh: Warehouse, published: ProjectConfig) -> None:
    for schema in _layer_schemas(published):
        wh.sql(f"drop schema if exists {quote(schema)} cascade")
        if wh.schema_exists(schema + SHADOW):  # no staging without a dbt project
            wh.sql(f"alter schema {quote(schema + SHADOW)} rename to {quote(schema)}")


def begin(config: ProjectConfig, *, full: bool, progress: Progress | None = None) -> Batch:
    """Open a batch: take the next id, prepare the working copy, mark the batch running."""
    progress = progress or _quiet
    started = utcnow()
    kind = "full" if full else "incremental"
    published_config = config
    preload_drivers([s.url for s in config.sources if isinstance(s, DatabaseSource)])
    if dialect_of(config.warehouse.url) == "duckdb":
        published = duckdb_path(config.warehouse.url, config.project_dir)
        work = published.with_name(published.name + ".next")
        if not full and not published.exists():
            raise NotLoaded(NOT_LOADED)
        for stale in (work, work.with_name(work.name + ".wal")):
            stale.unlink(missing_ok=True)
        if not full:
            shutil.copyfile(published, work)
        wh: Warehouse = DuckDBWarehouse(work)
    else:
        wh = PostgresWarehouse(config.warehouse.url)
        if full:
            _drop_shadow(wh, config)
            config = _shadow_config(config)
    try:
        ops.ensure_ops(wh, config.warehouse.ops_schema, config.warehouse.raw_schema)
        if wh.dialect == "postgres" and not full:
            from histar.pipeline.steps import recover_interrupted

            recover_interrupted(wh, config)
        wh.sql(f"create schema if not exists {quote(config.warehouse.history_schema)}")
        batch_id, last = ops.next_batch(wh, config.warehouse.ops_schema)
        if not full and batch_id == 1:
            raise NotLoaded(NOT_LOADED)
        extracted = max(started, last + timedelta(microseconds=1)) if last else started
        ops.insert_batch(wh, config.warehouse.ops_schema, batch_id, kind, started, extracted)
    finally:
        wh.close()
    log.info("batch %s (%s) started, extraction time %s", batch_id, kind, extracted)
    progress("batch_started", {"batch_id": batch_id, "kind": kind})
    return Batch(config, kind, batch_id, started, extracted, progress, published=published_config)


@contextmanager
def step(batch: Batch, name: str) -> Iterator[None]:
    batch.progress("step_started", {"step": name})
    t0 = time.perf_counter()
    yield
    batch.step_seconds[name] = time.perf_counter() - t0
    batch.done.append(name)
    batch.progress("step_finished", {"step": name, "seconds": batch.step_seconds[name]})


def extract(batch: Batch) -> None:
    from histar.pipeline.steps import extract_all

    with step(batch, "extract"), batch.connect() as wh:
        extract_all(batch, wh)


def history(batch: Batch) -> None:
    from histar.pipeline.steps import history_all

    with step(batch, "history"), batch.connect() as wh:
        history_all(batch, wh)


def star(batch: Batch) -> None:
    from histar.pipeline.steps import build_star

    with step(batch, "star"):
        build_star(batch)


def publish(batch: Batch) -> BatchResult:
    with step(batch, "publish"):
        o = batch.config.warehouse.ops_schema
        if batch.dialect == "duckdb":
            wh = DuckDBWarehouse(batch.work_path)
            try:
                ops.finish_batch(wh, o, batch.batch_id, "success", utcnow())
                wh.checkpoint()
            finally:
                wh.close()
            os.replace(batch.work_path, batch.published_path)
        else:
            from histar.pipeline.steps import swap_star_schema

            target = batch.published or batch.config
            with PostgresWarehouse(batch.config.warehouse.url) as wh, wh.transaction():
                ops.finish_batch(wh, o, batch.batch_id, "success", utcnow())
                if batch.full:
                    _publish_full_postgres(wh, target)
                if batch.builds_star:
                    swap_star_schema(wh, target)
                    if batch.full:  # the old star belongs to the replaced history
                        old_star = quote(target.warehouse.star_schema + "__build")
                        wh.sql(f"drop schema if exists {old_star} cascade")
    log.info("batch %s published", batch.batch_id)
    return batch.result("success")


def abort(batch: Batch, failed_step: str, exc: BaseException) -> BatchResult:
    """Leave the warehouse as the previous batch left it and record why this one failed."""
    error = redact(_first_lines(exc))
    log.error("batch %s failed in %s: %s", batch.batch_id, failed_step, error)
    o = batch.config.warehouse.ops_schema
    result = batch.result("failed", failed_step, error)
    try:
        if batch.dialect == "duckdb":
            for path in (batch.work_path, batch.work_path.with_name(batch.work_path.name + ".wal")):
                path.unlink(missing_ok=True)
            if not batch.full and batch.published_path.exists():
                with DuckDBWarehouse(batch.published_path) as wh:
                    ops.record_failed_batch(wh, o, vars(result), failed_step, error)
        else:
            from histar.pipeline.steps import undo_postgres

            with PostgresWarehouse(batch.config.warehouse.url) as wh:
                if batch.full:  # nothing was published: the shadow schemas just go
                    _drop_shadow(wh, batch.published or batch.config)
                else:
                    undo_postgres(batch, wh)
                    ops.finish_batch(
                        wh, o, batch.batch_id, "failed", utcnow(), step=failed_step, error=error
                    )
    except Exception:  # the original failure matters more than a failed clean-up
        log.exception("batch %s: could not record the failure", batch.batch_id)
    batch.progress(
        "batch_failed", {"batch_id": batch.batch_id, "step": failed_step, "error": error}
    )
    return result


def _first_lines(exc: BaseException, n: int = 6) -> str:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return "\n".join(text.splitlines()[:n])


StepHook = Callable[[str], None]


def run_batch(
    config: ProjectConfig,
    *,
    full: bool = False,
    progress: Progress | None = None,
    wait: bool = False,
    before_step: StepHook | None = None,
) -> BatchResult:
    """Run one whole batch under the warehouse lock; raises BatchFailed after cleaning up."""
    environment(config.project_dir)  # fail early on an unreadable .env
    with warehouse_lock(config, wait=wait):
        batch = begin(config, full=full, progress=progress)
        current = "extract"
        try:
            for current, fn in (("extract", extract), ("history", history), ("star", star)):
                if before_step:
                    before_step(current)
                fn(batch)
            current = "publish"
            if before_step:
                before_step(current)
            result = publish(batch)
        except Exception as exc:
            raise BatchFailed(abort(batch, current, exc)) from exc
    batch.progress("batch_finished", {"batch_id": batch.batch_id, "seconds": result.seconds})
    return result
