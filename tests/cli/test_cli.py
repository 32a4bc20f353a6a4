"""The `histar` command end to end on a small demo project (DuckDB, history only for speed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from histar.cli.app import app
from histar.config import load_config
from histar.pipeline import warehouse_lock

runner = CliRunner()


def histar(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def project(tmp_path: Path) -> Path:
    histar("init", str(tmp_path), "--rows", "2000")
    toml = tmp_path / "histar.toml"
    toml.write_text(toml.read_text().replace('"builtin:school"', '""'))  # history only: fast
    histar("datagen", "-p", str(tmp_path))
    return tmp_path


def test_run_status_history_reset(project: Path) -> None:
    p = str(project)
    out = histar("run", "-p", p, "--full")
    assert "batch 1 (full) success" in out and "history users" in out
    histar("datagen", "changes", "-p", p, "--fraction", "0.05")
    out = histar("run", "-p", p)
    assert "batch 2 (incremental) success" in out

    out = histar("status", "-p", p)
    assert "incremental" in out and "success" in out

    cfg = load_config(project)
    from histar.warehouse.connection import connect

    with connect(cfg.warehouse.url, project, read_only=True) as wh:
        (user_id,) = wh.query("select user_id from warehouse.users where update_id = 2 limit 1")[0]
    out = histar("history", "users", str(user_id), "-p", p)
    assert "version 1" in out and "version 2" in out

    out = histar("reset", "warehouse", "-p", p)
    assert "histar.duckdb" in out
    result = runner.invoke(app, ["status", "-p", p])
    assert result.exit_code == 1 and "run `histar run --full`" in result.output

    assert (project / "data" / "source.sqlite").exists()
    out = histar("reset", "source", "-p", p)
    assert not (project / "data" / "source.sqlite").exists()
    assert not list((project / "data" / "csv").glob("*.csv"))


def test_errors_are_one_line(project: Path) -> None:
    result = runner.invoke(app, ["run", "-p", str(project)])
    assert result.exit_code == 1
    assert "run a full load first" in result.output
    result = runner.invoke(app, ["history", "nope", "1", "-p", str(project)])
    assert result.exit_code == 1
    result = runner.invoke(app, ["run", "-p", str(project / "missing")])
    assert result.exit_code == 1 and "histar init" in result.output


def test_a_second_batch_is_skipped_while_one_runs(project: Path) -> None:
    cfg = load_config(project)
    with warehouse_lock(cfg, wait=False):
        result = runner.invoke(app, ["run", "-p", str(project), "--full"])
    assert result.exit_code == 3
    assert "another batch is running" in result.output
