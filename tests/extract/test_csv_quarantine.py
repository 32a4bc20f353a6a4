"""CSV files through a real batch: bad rows quarantined with reasons, files loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from histar.config.model import CsvSource, ProjectConfig, TransformConfig
from histar.pipeline import BatchFailed, run_batch
from histar.warehouse.connection import connect

HEADER = "visit_id,user_id,traffic_source_id,visited_at,utm_campaign\n"
GOOD = '1,10,3,2025-01-01 10:00:00,spring\n2,11,3,2025-01-01 11:00:00,"a, quoted"\n'
BAD = (
    b"3,12\n"  # missing columns
    b"4,abc,2,2025-01-02 10:00:00,x\n"  # bad type
    b"5,12,2,2025-01-03 10:00:00,bad\xff\xfe\n"  # not UTF-8
    b"6,12,2,2025-01-03 10:00:00,x,extra\n"  # too many columns
)


def _project(folder: Path) -> ProjectConfig:
    source = CsvSource(
        kind="csv",
        id=2,
        name="agency",
        path="in/*.csv",
        table="user_traffic",
        primary_key=["visit_id"],
        columns={
            "visit_id": "BIGINT",
            "user_id": "BIGINT",
            "traffic_source_id": "BIGINT",
            "visited_at": "TIMESTAMP",
            "utm_campaign": "VARCHAR",
        },
    )
    cfg = ProjectConfig(sources=[source], transform=TransformConfig(dbt_project=""))
    cfg.project_dir = folder
    (folder / "in").mkdir()
    return cfg


def test_bad_rows_are_quarantined_and_files_load_once(tmp_path: Path) -> None:
    cfg = _project(tmp_path)
    (tmp_path / "in" / "a.csv").write_bytes((HEADER + GOOD).encode() + BAD)
    (tmp_path / "in" / "empty.csv").write_bytes(b"")
    (tmp_path / "in" / "header_only.csv").write_text(HEADER)

    first = run_batch(cfg, full=True)
    (stats,) = first.tables
    assert (stats.rows_read, stats.rows_loaded, stats.rows_rejected) == (6, 2, 4)
    assert stats.rows_read == stats.rows_loaded + stats.rows_rejected
    assert stats.inserted == 2
    assert any("empty.csv is empty" in n for n in stats.notes)
    assert any("header_only.csv is empty" in n for n in stats.notes)

    with connect(cfg.warehouse.url, tmp_path) as wh:
        rejected = wh.query("select line, reason, raw_text from raw._rejected_rows order by line")
        files = wh.query(
            "select file_path, status, rows_loaded, rows_rejected "
            "from ops.loaded_files order by file_path"
        )
        history = wh.query(
            "select visit_id, utm_campaign, source_id_audit, insert_id "
            "from warehouse.user_traffic order by visit_id"
        )
    assert [r[0] for r in rejected] == [4, 5, 6, 7]  # file lines: header 1, good rows 2-3
    assert "MISSING COLUMNS" in rejected[0][1] and rejected[0][2] == "3,12"
    assert "CAST" in rejected[1][1] and "abc" in rejected[1][1]
    assert "INVALID ENCODING" in rejected[2][1]
    assert "TOO MANY COLUMNS" in rejected[3][1]
    assert [(Path(f).name, s, g, b) for f, s, g, b in files] == [
        ("a.csv", "loaded", 2, 4),
        ("empty.csv", "empty", 0, 0),
        ("header_only.csv", "empty", 0, 0),
    ]
    assert history == [(1, "spring", 2, 1), (2, "a, quoted", 2, 1)]

    # the same files again: nothing is read twice; a new file adds its rows
    again = run_batch(cfg)
    assert again.tables[0].rows_read == 0 and again.tables[0].inserted == 0
    (tmp_path / "in" / "b.csv").write_text(HEADER + "7,13,1,2025-02-01 00:00:00,new\n")
    third = run_batch(cfg)
    assert (third.tables[0].rows_loaded, third.tables[0].inserted) == (1, 1)


def test_duplicate_keys_in_a_delivery_fail_the_batch_cleanly(tmp_path: Path) -> None:
    cfg = _project(tmp_path)
    (tmp_path / "in" / "a.csv").write_text(HEADER + GOOD)
    run_batch(cfg, full=True)
    (tmp_path / "in" / "b.csv").write_text(HEADER + "9,1,1,2025-01-01 00:00:00,x\n" * 2)
    with pytest.raises(BatchFailed, match="duplicate keys") as info:
        run_batch(cfg)
    assert info.value.result.failed_step == "history"
    with connect(cfg.warehouse.url, tmp_path) as wh:
        assert wh.query("select count(*) from warehouse.user_traffic")[0][0] == 2
        assert wh.query("select batch_id, status from ops.batches order by 1") == [
            (1, "success"),
            (2, "failed"),
        ]
