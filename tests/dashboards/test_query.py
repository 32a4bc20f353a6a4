"""Tile queries on the demo warehouse: right figures, bound parameters, read-only access."""

from __future__ import annotations

from datetime import date

import pytest

from histar.config.model import ProjectConfig
from histar.dashboards.charts import kpi_values
from histar.dashboards.data import filter_choices, load_data
from histar.dashboards.query import data_version, run_query, snapshot
from histar.warehouse.connection import connect

from .conftest import school
from .expected import kpis, shown

MALICIOUS = [
    "'; drop table star_schema.fact_sales; --",
    "x' or '1'='1",
    'Data"; delete from ops.batches; --',
    "$category",
    "%(category)s",
    "Data') or true or ('",
]


def test_data_version_is_the_last_successful_batch(demo: ProjectConfig) -> None:
    version = data_version(demo)
    assert version.batch_id == 1 and version.finished_at is not None
    assert "batch 1" in version.describe()


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"category": "Data"},
        {"country": "Germany", "date_range": (date(2025, 1, 1), date(2025, 6, 30))},
        {"category": "Programming", "date_range": (date(2024, 3, 1), date(2024, 3, 31))},
    ],
)
def test_kpis_match_plain_sql(demo: ProjectConfig, filters: dict) -> None:
    data = load_data(demo, school(demo), filters)
    board = school(demo)
    tile = board.tiles[0]
    got = [v for _, v in kpi_values(tile, data.tables["kpis"])]
    expected = kpis(
        demo, filters.get("category"), filters.get("country"), filters.get("date_range")
    )
    assert got == shown(expected)
    assert expected["sales"] > 0
    # the other tiles agree with the KPIs
    by_category = data.tables["revenue_by_category"].to_pylist()
    assert sum(r["sales"] for r in by_category) == expected["sales"]
    assert sum(r["revenue"] for r in by_category) == pytest.approx(expected["revenue"])
    by_quarter = data.tables["revenue_by_quarter"].to_pylist()
    assert sum(r["sales"] for r in by_quarter) == expected["sales"]
    pivot = data.tables["sales_by_source_month"].to_pylist()
    assert sum(r["sales"] for r in pivot) == expected["sales"]
    managers = data.tables["revenue_by_manager"].to_pylist()
    assert sum(r["sales"] for r in managers) == expected["sales"]


def test_conversion_is_attributed_sales_over_visits(demo: ProjectConfig) -> None:
    rows = load_data(demo, school(demo)).tables["conversion_by_source"].to_pylist()
    with connect(demo.warehouse.url, demo.project_dir, read_only=True) as wh:
        visits = dict(
            wh.query(
                "select traffic_source_id, count(*) from warehouse.user_traffic "
                "where end_date = timestamp '9999-12-31' group by 1"
            )
        )
        names = dict(
            wh.query(
                "select traffic_source_name, traffic_source_id from star_schema.dim_traffic_source "
                "where is_current and traffic_source_id <> -1"
            )
        )
        sales = dict(
            wh.query("select traffic_source_id, count(*) from star_schema.fact_sales group by 1")
        )
    assert len(rows) == len(names)
    for r in rows:
        sid = names[r["traffic_source"]]
        assert r["visits"] == visits.get(sid, 0)
        assert r["sales"] == sales.get(sid, 0)
        if visits.get(sid):
            assert r["conversion"] == pytest.approx(sales.get(sid, 0) / visits[sid])
        else:
            assert r["conversion"] is None


def test_filter_choices(demo: ProjectConfig) -> None:
    choices = filter_choices(demo, school(demo))
    assert "Data" in choices.options["category"] and "Unknown" not in choices.options["category"]
    assert "Germany" in choices.options["country"]
    lo, hi = choices.bounds["date_range"]
    assert date(2023, 1, 1) < lo < hi < date(2026, 1, 2)


@pytest.mark.parametrize("value", MALICIOUS)
def test_malicious_filter_values_are_harmless(demo: ProjectConfig, value: str) -> None:
    before = kpis(demo)
    data = load_data(demo, school(demo), {"category": value, "country": value})
    for tile_id in ("revenue_by_quarter", "top_courses", "revenue_by_category"):
        assert data.tables[tile_id].num_rows == 0, tile_id
    assert data.tables["kpis"].to_pylist()[0]["sales"] == 0
    assert kpis(demo) == before  # tables intact
    assert data_version(demo).batch_id == 1


def test_connections_are_read_only_and_short(demo: ProjectConfig) -> None:
    with snapshot(demo) as snap, pytest.raises(Exception, match=r"read-only|read only"):
        snap.run("create table star_schema.evil as select 1 as x")
    # nothing stays open: a writer can open the published file right after
    with connect(demo.warehouse.url, demo.project_dir) as wh:
        assert wh.query("select count(*) from ops.batches")[0][0] == 1
    assert run_query(demo, "select cast(:v as varchar) as v", {"v": "a'b"}).to_pylist() == [
        {"v": "a'b"}
    ]
