"""The whole data path on real engines: generated source → raw → SCD2 warehouse → star schema.

Runs on DuckDB (SQLite source) and on PostgreSQL (source and warehouse on PG), including a
failure injected between history and star, and a no-op incremental batch.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from histar.config import load_config, write_default_project
from histar.config.model import ProjectConfig
from histar.datagen import TABLES, apply_changes, generate
from histar.pipeline import BatchFailed, run_batch
from histar.warehouse.connection import connect

AUDIT = ["start_date", "end_date", "source_id_audit", "insert_id", "update_id"]
STAR = ["dim_user", "dim_course", "dim_sales_manager", "dim_traffic_source", "dim_date",
        "fact_sales"]  # fmt: skip


def make_project(folder: Path, warehouse_url: str, source_url: str) -> ProjectConfig:
    write_default_project(folder, warehouse_url=warehouse_url, source_url=source_url, rows=3000)
    cfg = load_config(folder)
    assert cfg.datagen is not None
    src = (
        source_url
        if not source_url.startswith("sqlite")
        else f"sqlite:///{folder}/data/source.sqlite"
    )
    generate(src, folder / "data" / "csv", rows=3000, seed=11)
    return cfg


def snapshot(cfg: ProjectConfig) -> dict[str, Any]:
    """Everything a reader could see: batches, every history table, every star table."""
    with connect(cfg.warehouse.url, cfg.project_dir, read_only=True) as wh:
        out: dict[str, Any] = {
            "batches": wh.query("select batch_id, status from ops.batches order by 1")
        }
        for t in [t.name for t in TABLES]:
            out[f"warehouse.{t}"] = sorted(map(repr, wh.query(f"select * from warehouse.{t}")))
        for t in STAR:
            out[f"star.{t}"] = sorted(map(repr, wh.query(f"select * from star_schema.{t}")))
    return out


def check_full_path(cfg: ProjectConfig, source_url: str) -> None:
    first = run_batch(cfg, full=True)
    assert first.batch_id == 1 and first.status == "success"
    by_table = {(s.table, s.source_id): s for s in first.tables}
    csv = by_table[("user_traffic", 2)]
    assert csv.rows_rejected == 6 and csv.rows_read == csv.rows_loaded + csv.rows_rejected

    with connect(cfg.warehouse.url, cfg.project_dir, read_only=True) as wh:
        for t in TABLES:
            cols = [c for c, _ in wh.columns("warehouse", t.name)]
            assert cols[-5:] == AUDIT, t.name
            assert wh.query(f"select count(*) from warehouse.{t.name}")[0][0] > 0
        for t in STAR:
            assert wh.query(f"select count(*) from star_schema.{t}")[0][0] > 0, t
        current_sales = wh.query(
            "select count(*) from warehouse.sales where end_date = timestamp '9999-12-31'"
        )[0][0]
        assert wh.query("select count(*) from star_schema.fact_sales")[0][0] == current_sales

    changes = apply_changes(source_url, cfg.project_dir / "data" / "csv", seed=3, fraction=0.02)
    second = run_batch(cfg)
    assert second.batch_id == 2
    stats = {(s.table, s.source_id): s for s in second.tables}
    users = changes.changes["users"]
    assert stats[("users", 1)].closed == users.updated + users.deleted
    assert stats[("users", 1)].inserted == users.updated + users.inserted
    assert stats[("sales", 1)].inserted == changes.changes["sales"].total
    with connect(cfg.warehouse.url, cfg.project_dir, read_only=True) as wh:
        changed_user = changes.details["users_moved"][0]
        versions = wh.query(
            f"select insert_id, update_id from warehouse.users where user_id = {changed_user} "
            "order by start_date"
        )
        assert versions == [(1, 2), (2, None)]
        deleted_user = changes.details["users_deleted"][0]
        assert wh.query(
            f"select insert_id, update_id from warehouse.users where user_id = {deleted_user}"
        ) == [(1, 2)]

    # nothing changed: a batch adds nothing
    before = snapshot(cfg)
    noop = run_batch(cfg)
    assert all(s.inserted == 0 and s.closed == 0 for s in noop.tables), noop.tables
    after = snapshot(cfg)
    assert after.pop("batches") == [*before.pop("batches"), (3, "success")]
    assert after == before

    # a failure between history and star leaves everything as batch 3 left it
    apply_changes(source_url, cfg.project_dir / "data" / "csv", seed=4, fraction=0.02)
    before = snapshot(cfg)

    def fail_before_star(step: str) -> None:
        if step == "star":
            raise RuntimeError("injected failure between history and star")

    with pytest.raises(BatchFailed) as info:
        run_batch(cfg, before_step=fail_before_star)
    assert info.value.result.failed_step == "star"
    after = snapshot(cfg)
    assert after.pop("batches") == [*before.pop("batches"), (4, "failed")]
    assert after == before

    # a failed full load leaves the published warehouse as it was, too
    before = snapshot(cfg)
    with pytest.raises(BatchFailed):
        run_batch(cfg, full=True, before_step=fail_before_star)
    assert snapshot(cfg) == before

    rerun = run_batch(cfg)
    assert rerun.batch_id == 5 and sum(s.inserted for s in rerun.tables) > 0


def test_duckdb_end_to_end(tmp_path: Path) -> None:
    cfg = make_project(tmp_path, "duckdb:///histar.duckdb", "sqlite:///data/source.sqlite")
    check_full_path(cfg, f"sqlite:///{tmp_path}/data/source.sqlite")


@pytest.mark.postgres
def test_postgres_end_to_end(tmp_path: Path, pg_database_factory) -> None:
    source, warehouse = pg_database_factory(), pg_database_factory()
    cfg = make_project(tmp_path, warehouse, source)
    check_full_path(cfg, source)


# A child process that runs one incremental batch and is killed (SIGKILL) before the star.
KILLED_AT_STAR = """
import os, signal, sys
from pathlib import Path
from histar.config import load_config
from histar.pipeline import run_batch

def kill(step):
    if step == "star":
        os.kill(os.getpid(), signal.SIGKILL)

run_batch(load_config(Path(sys.argv[1])), before_step=kill)
"""


@pytest.mark.postgres
def test_postgres_batch_killed_mid_way_is_undone_by_the_next(
    tmp_path: Path, pg_database_factory
) -> None:
    source, warehouse = pg_database_factory(), pg_database_factory()
    cfg = make_project(tmp_path, warehouse, source)
    run_batch(cfg, full=True)
    apply_changes(source, cfg.project_dir / "data" / "csv", seed=3, fraction=0.02)
    before = snapshot(cfg)

    child = subprocess.run(
        [sys.executable, "-c", KILLED_AT_STAR, str(tmp_path)], timeout=300, check=False
    )
    assert child.returncode == -signal.SIGKILL
    with connect(cfg.warehouse.url, cfg.project_dir, read_only=True) as wh:
        # the killed batch committed its history and could not clean up
        assert wh.query("select status from ops.batches where batch_id = 2") == [("running",)]
        assert wh.query("select count(*) from warehouse.users where insert_id = 2")[0][0] > 0

    again = run_batch(cfg)
    assert again.batch_id == 3 and sum(s.inserted for s in again.tables) > 0
    with connect(cfg.warehouse.url, cfg.project_dir, read_only=True) as wh:
        status = wh.query("select status, error from ops.batches where batch_id = 2")[0]
        assert status[0] == "failed" and "interrupted" in status[1]
        for t in TABLES:
            assert wh.query(
                f"select count(*) from warehouse.{t.name} where insert_id = 2 or update_id = 2"
            ) == [(0,)], t.name
    # batch 3 saw the same changes as the killed batch 2: undoing 2 and applying 3 gives
    # the history a clean batch would have given
    after = snapshot(cfg)
    assert after["batches"] == [*before["batches"], (2, "failed"), (3, "success")]
