"""The dashboard keeps answering while a batch runs and never shows a half-published batch.

A real incremental batch runs in a thread and pauses right before its publish step; a reader
thread queries the dashboard the whole time. While paused, the page shows the previous
batch's figures (on PostgreSQL history and staging are already written in place, so this also
checks the visits are read as of the published batch); after the publish the next read
returns the new figures; no read fails in between.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from histar.config.model import ProjectConfig
from histar.dashboards.data import load_data
from histar.datagen import apply_changes
from histar.pipeline import run_batch

from .conftest import make_project, school, source_of
from .expected import kpis

pytestmark = pytest.mark.slow


def figures(cfg: ProjectConfig) -> tuple[int, dict[str, Any]]:
    data = load_data(cfg, school(cfg))
    return data.version.batch_id, {k: t.to_pylist() for k, t in data.tables.items()}


def check_publish_consistency(cfg: ProjectConfig, source_url: str) -> None:
    run_batch(cfg, full=True)
    batch1, before = figures(cfg)
    assert batch1 == 1
    apply_changes(source_of(cfg, source_url), cfg.project_dir / "data" / "csv", seed=3,
                  fraction=0.05)  # fmt: skip

    paused, release, stop = threading.Event(), threading.Event(), threading.Event()
    seen: list[tuple[int, dict[str, Any]]] = []
    errors: list[BaseException] = []
    results: list[Any] = []

    def hook(step: str) -> None:
        if step == "publish":
            paused.set()
            assert release.wait(180)

    def batch() -> None:
        try:
            results.append(run_batch(cfg, before_step=hook))
        except BaseException as exc:
            errors.append(exc)
            paused.set()

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.append(figures(cfg))
            except BaseException as exc:
                errors.append(exc)
            time.sleep(0.05)

    writer, poller = threading.Thread(target=batch), threading.Thread(target=reader)
    writer.start()
    poller.start()
    try:
        assert paused.wait(300), "the batch never reached publish"
        assert not errors, errors
        # paused before publish: the previous batch, figure for figure
        during_batch, during = figures(cfg)
        assert during_batch == 1
        assert during == before
        release.set()
        writer.join(300)
        assert results and results[0].status == "success", errors
        batch2, after = figures(cfg)
    finally:
        release.set()
        stop.set()
        writer.join(300)
        poller.join(60)
    assert not errors, errors
    assert batch2 == 2
    assert after["kpis"] != before["kpis"]
    expected = kpis(cfg)
    assert after["kpis"][0]["sales"] == expected["sales"]
    assert after["kpis"][0]["revenue"] == pytest.approx(expected["revenue"])
    # every read during the load showed one whole batch: the old one or the new one
    assert seen
    for batch_id, tables in seen:
        assert tables == (before if batch_id == 1 else after), batch_id
    assert {b for b, _ in seen} <= {1, 2}


def test_duckdb_publish_consistency(tmp_path: Path) -> None:
    cfg = make_project(tmp_path, "duckdb:///histar.duckdb", "sqlite:///data/source.sqlite")
    check_publish_consistency(cfg, "sqlite:///data/source.sqlite")


@pytest.mark.postgres
def test_postgres_publish_consistency(tmp_path: Path, pg_database_factory) -> None:
    source, warehouse = pg_database_factory(), pg_database_factory()
    cfg = make_project(tmp_path, warehouse, source)
    check_publish_consistency(cfg, source)
