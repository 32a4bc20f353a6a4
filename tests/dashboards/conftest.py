"""A demo warehouse (DuckDB, built once per session) and helpers shared by the dashboard tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from histar.config import load_config, write_default_project
from histar.config.model import ProjectConfig
from histar.dashboards.definitions import Dashboard, load_dashboards
from histar.datagen import generate
from histar.pipeline import run_batch

ROWS = 3000


def make_project(folder: Path, warehouse_url: str, source_url: str) -> ProjectConfig:
    """A demo project with generated source data (not loaded yet)."""
    write_default_project(folder, warehouse_url=warehouse_url, source_url=source_url, rows=ROWS)
    cfg = load_config(folder)
    generate(source_of(cfg, source_url), folder / "data" / "csv", rows=ROWS, seed=11)
    return cfg


def source_of(cfg: ProjectConfig, source_url: str) -> str:
    if source_url.startswith("sqlite"):
        return f"sqlite:///{cfg.project_dir}/data/source.sqlite"
    return source_url


def school(cfg: ProjectConfig) -> Dashboard:
    return next(d for d in load_dashboards(cfg) if d.name == "school_sales")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> ProjectConfig:
    """A loaded DuckDB demo warehouse; tests must only read it."""
    folder = tmp_path_factory.mktemp("demo")
    cfg = make_project(folder, "duckdb:///histar.duckdb", "sqlite:///data/source.sqlite")
    run_batch(cfg, full=True)
    return cfg
