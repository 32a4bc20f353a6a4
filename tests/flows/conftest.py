"""Prefect settings for the tests, a history-only project, a fake Bot API, the harness."""

from __future__ import annotations

import os

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from histar.config import ProjectConfig, load_config
from histar.warehouse.connection import connect
from notify.fake_bot_api import CHAT_ID, TOKEN, FakeBotAPI


@pytest.fixture
def bot_api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as api:
        yield api


@dataclass
class Project:
    folder: Path
    source: Path

    @property
    def config(self) -> ProjectConfig:
        return load_config(self.folder)

    def write(self, api_url: str, schedule: str = "retries = 0\nretry_delay_seconds = 0") -> None:
        (self.folder / "histar.toml").write_text(
            f"""
name = "shop"
[warehouse]
url = "duckdb:///histar.duckdb"
[transform]
dbt_project = ""
[schedule]
{schedule}
[notifications.telegram]
api_url = "{api_url}"
timeout_seconds = 1.5
[[sources]]
kind = "database"
id = 1
name = "shop"
url = "sqlite:///{self.source}"
tables = [{{name = "items", primary_key = ["id"]}}]
[[sources]]
kind = "csv"
id = 2
name = "agency"
path = "csv/visits_*.csv"
table = "visits"
primary_key = ["visit_id"]
[sources.columns]
visit_id = "BIGINT"
item_id = "BIGINT"
"""
        )

    def change(self, sql: str) -> None:
        with sqlite3.connect(self.source) as db:
            db.execute(sql)

    def snapshot(self) -> dict[str, list[tuple]]:
        """What a failed batch must leave alone: history and the successful batches."""
        cfg = self.config
        with connect(cfg.warehouse.url, cfg.project_dir) as wh:
            return {
                "items": sorted(wh.query("select * from warehouse.items")),
                "visits": sorted(wh.query("select * from warehouse.visits")),
                "batches": sorted(
                    wh.query(
                        "select batch_id, kind, started_at from ops.batches "
                        "where status = 'success'"
                    )
                ),
            }

    def batches(self) -> list[tuple]:
        cfg = self.config
        with connect(cfg.warehouse.url, cfg.project_dir) as wh:
            return sorted(wh.query("select batch_id, kind, status, failed_step from ops.batches"))


@pytest.fixture
def project(tmp_path: Path, bot_api: FakeBotAPI) -> Project:
    """SQLite source + one CSV file (one bad row) → DuckDB warehouse, history only (no dbt)."""
    source = tmp_path / "source.sqlite"
    with sqlite3.connect(source) as db:
        db.execute("create table items (id integer primary key, label text, price real)")
        db.executemany(
            "insert into items values (?, ?, ?)", [(i, f"item {i}", i * 1.5) for i in range(1, 6)]
        )
    (tmp_path / "csv").mkdir()
    (tmp_path / "csv" / "visits_1.csv").write_text("visit_id,item_id\n1,1\n2,2\nthree,3\n")
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nTELEGRAM_CHAT_ID={CHAT_ID}\n")
    p = Project(tmp_path, source)
    p.write(bot_api.url)
    return p


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One temporary Prefect server (SQLite) for every test that needs the API."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
