"""Property: for any sequence of inserts, updates and deletes applied in batches, the
warehouse read as of each batch equals the source as it was extracted in that batch — for a
snapshot table, an incremental table with delete detection and one without deletes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from histar.config.model import DatabaseSource, ProjectConfig, TableConfig, TransformConfig
from histar.history import as_of_batch_sql
from histar.pipeline import run_batch
from histar.warehouse.connection import connect

KEYS = st.integers(min_value=1, max_value=12)
VALUES = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d"]))
OPS = st.lists(
    st.tuples(st.sampled_from(["upsert", "delete", "event", "touch", "drop_event"]), KEYS, VALUES),
    max_size=12,
)


def _config(folder: Path, warehouse_url: str) -> ProjectConfig:
    source = DatabaseSource(
        id=1,
        name="shop",
        url=f"sqlite:///{folder / 'source.sqlite'}",
        tables=[
            TableConfig(name="items", primary_key=["id"]),
            TableConfig(
                name="events",
                primary_key=["id"],
                mode="incremental",
                cursor="version",
                detect_deletes=True,
            ),
            # append/update only: no delete detection, so it must never see deletes
            TableConfig(name="visits", primary_key=["id"], mode="incremental", cursor="version"),
        ],
    )
    cfg = ProjectConfig(
        sources=[source],
        transform=TransformConfig(dbt_project=""),
        warehouse={"url": warehouse_url},
    )
    cfg.project_dir = folder
    return cfg


def _apply(db: sqlite3.Connection, ops: list[tuple[str, int, str | None]], clock: int) -> None:
    for op, key, value in ops:
        if op == "upsert":
            db.execute(
                "insert into items values (?, ?, ?) on conflict(id) do update "
                "set label = excluded.label, price = excluded.price",
                (key, value, key * 1.5 if value else None),
            )
        elif op == "delete":
            db.execute("delete from items where id = ?", (key,))
        elif op == "drop_event":  # found by the key read of `detect_deletes`
            db.execute("delete from events where id = ?", (key,))
        else:
            clock += 1
            for table in ("events", "visits"):
                db.execute(
                    f"insert into {table} values (?, ?, ?) on conflict(id) do update "
                    "set note = excluded.note, version = excluded.version",
                    (key, value, clock),
                )
    db.commit()


def _snapshot(db: sqlite3.Connection) -> dict[str, set[tuple]]:
    return {
        "items": set(db.execute("select id, label, price from items")),
        "events": set(db.execute("select id, note, version from events")),
        "visits": set(db.execute("select id, note, version from visits")),
    }


def _as_of(cfg: ProjectConfig, batch_id: int) -> dict[str, set[tuple]]:
    cols = {
        "items": "id, label, price",
        "events": "id, note, version",
        "visits": "id, note, version",
    }
    with connect(cfg.warehouse.url, cfg.project_dir) as wh:
        return {
            t: set(wh.query(f"select {c} from ({as_of_batch_sql(('warehouse', t), batch_id)}) v"))
            for t, c in cols.items()
        }


def check_history_equals_source(folder: Path, warehouse_url: str, batches: list) -> None:
    cfg = _config(folder, warehouse_url)
    db = sqlite3.connect(folder / "source.sqlite")
    db.execute("create table items (id integer primary key, label text, price real)")
    for table in ("events", "visits"):
        db.execute(f"create table {table} (id integer primary key, note text, version integer)")
    expected, clock = [], 0
    for i, ops in enumerate(batches):
        _apply(db, ops, clock)
        clock += len(ops)
        expected.append(_snapshot(db))
        result = run_batch(cfg, full=(i == 0))
        assert result.batch_id == i + 1
    db.close()
    for batch_id, want in enumerate(expected, start=1):
        assert _as_of(cfg, batch_id) == want, f"as of batch {batch_id}"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=st.lists(OPS, min_size=1, max_size=5))
def test_duckdb_history_equals_source_as_of_every_batch(tmp_path_factory, batches) -> None:
    folder = tmp_path_factory.mktemp("prop")
    check_history_equals_source(folder, "duckdb:///histar.duckdb", batches)


@pytest.mark.postgres
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=st.lists(OPS, min_size=1, max_size=4))
def test_postgres_history_equals_source_as_of_every_batch(
    tmp_path_factory, pg_database_factory, batches
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    check_history_equals_source(folder, pg_database_factory(), batches)
