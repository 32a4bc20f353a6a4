"""DuckDB runs with a memory limit and spills to `<warehouse file>.tmp`."""

from __future__ import annotations

from pathlib import Path

from histar.config import load_config, write_default_project
from histar.pipeline.steps import duckdb_settings
from histar.warehouse.connection import DuckDBWarehouse


def test_work_larger_than_the_memory_limit_spills_beside_the_file(tmp_path: Path) -> None:
    write_default_project(tmp_path, rows=1000)
    cfg = load_config(tmp_path)
    cfg.warehouse.duckdb_memory_limit = "64MB"

    with DuckDBWarehouse(tmp_path / "w.duckdb", settings=duckdb_settings(cfg)) as wh:
        assert wh.query("select current_setting('memory_limit')")[0][0] in ("61.0 MiB", "64.0 MB")
        tmp = Path(wh.query("select current_setting('temp_directory')")[0][0])
        assert tmp == tmp_path / "w.duckdb.tmp"
        # ~240 MB of sort keys and payload: more than the limit, so the sort spills
        wh.sql(
            "create table sorted as select i, md5(i::varchar) as h from range(3000000) t(i) "
            "order by h"
        )
        assert wh.query("select count(*), count(distinct h) from sorted")[0] == (3_000_000,) * 2
