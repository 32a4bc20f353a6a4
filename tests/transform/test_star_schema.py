"""End-to-end tests of the dbt project on hand-made SCD2 warehouses (DuckDB and PostgreSQL).

One scenario per engine, three batches, built incrementally and then with a full refresh:

batch 1 (loaded T1 = 2024-01-10): 2 users, 2 courses, 3 traffic sources, visits, 5 sales
batch 2 (T2 = 2024-03-01): user 1 moves DE -> PL, category 1 renamed, traffic source 2 renamed,
         a new visit, a refund on sale 1004, sale 1002 deleted at the source, new sale 1006
batch 3 (T3 = 2024-04-01): new sales 1007/1008 (after the changes), subcategory 20 moves to
         category 1 (course 200 gets a new version from its subcategory alone)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from histar.transform.runner import BuildResult, TransformError, dbt_build, default_project_dir

from .warehouse import Warehouse, new_warehouse

pytestmark = pytest.mark.slow

T1, T2, T3 = "2024-01-10 00:00:00", "2024-03-01 00:00:00", "2024-04-01 00:00:00"
CSV_VISIT = 1_000_000_000_001
STAR = "star_schema"

ENGINES = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


def sale(
    sale_id,
    user_id,
    course_id,
    manager_id,
    sold_at,
    list_price,
    discount=0.0,
    refunded=0.0,
    status="paid",
) -> dict[str, Any]:
    return {
        "sale_id": sale_id,
        "user_id": user_id,
        "course_id": course_id,
        "manager_id": manager_id,
        "enrollment_id": None,
        "sold_at": sold_at,
        "list_price": list_price,
        "discount": discount,
        "refunded_amount": refunded,
        "status": status,
        "updated_at": sold_at,
    }


def load_batch1(wh: Warehouse) -> None:
    b = {"at": T1, "batch": 1}
    wh.insert("categories", {"category_id": 1, "name": "Programming"}, **b)
    wh.insert("categories", {"category_id": 2, "name": "Design"}, **b)
    wh.insert("subcategories", {"subcategory_id": 10, "category_id": 1, "name": "Python"}, **b)
    wh.insert("subcategories", {"subcategory_id": 20, "category_id": 2, "name": "UX"}, **b)
    wh.insert(
        "courses",
        {
            "course_id": 100,
            "subcategory_id": 10,
            "title": "Intro to Python",
            "level": "beginner",
            "price": 100.0,
            "created_at": "2023-05-01 00:00:00",
        },
        **b,
    )
    wh.insert(
        "courses",
        {
            "course_id": 200,
            "subcategory_id": 20,
            "title": "UX Basics",
            "level": "beginner",
            "price": 200.0,
            "created_at": "2023-06-01 00:00:00",
        },
        **b,
    )
    wh.insert("sales_managers", {"manager_id": 7, "first_name": "Ann", "region": "EU"}, **b)
    wh.insert("sales_managers", {"manager_id": 8, "first_name": "Bob", "region": "US"}, **b)
    wh.insert(
        "users",
        {
            "user_id": 1,
            "first_name": "Uma",
            "country": "DE",
            "city": "Berlin",
            "registered_at": "2023-12-01 00:00:00",
        },
        **b,
    )
    wh.insert(
        "users",
        {
            "user_id": 2,
            "first_name": "Vic",
            "country": "FR",
            "city": "Paris",
            "registered_at": "2023-12-02 00:00:00",
        },
        **b,
    )
    for ts_id, name, channel in [
        (1, "Google", "search"),
        (2, "Facebook", "social"),
        (3, "Newsletter", "email"),
    ]:
        wh.insert(
            "traffic_sources", {"traffic_source_id": ts_id, "name": name, "channel": channel}, **b
        )
    wh.insert(
        "user_traffic",
        {"visit_id": 1, "user_id": 1, "traffic_source_id": 1, "visited_at": "2024-01-02 00:00:00"},
        **b,
    )
    wh.insert(
        "user_traffic",
        {
            "visit_id": CSV_VISIT,
            "user_id": 1,
            "traffic_source_id": 2,
            "visited_at": "2024-01-05 00:00:00",
            "utm_campaign": "winter",
        },
        source=2,
        **b,
    )
    wh.insert(
        "user_traffic",
        {"visit_id": 3, "user_id": 2, "traffic_source_id": 3, "visited_at": "2024-01-08 00:00:00"},
        **b,
    )
    wh.insert(
        "enrollments",
        {
            "enrollment_id": 500,
            "user_id": 1,
            "course_id": 100,
            "enrolled_at": "2024-01-06 12:00:00",
            "status": "active",
        },
        **b,
    )
    wh.insert("sales", sale(1001, 1, 100, 7, "2024-01-06 12:00:00", 100.0, 10.0), **b)
    wh.insert("sales", sale(1002, 2, 200, 8, "2024-01-03 00:00:00", 200.0), **b)
    wh.insert("sales", sale(1003, 999, 100, 7, "2024-01-07 00:00:00", 100.0), **b)
    wh.insert("sales", sale(1004, 2, 200, 8, "2024-01-09 00:00:00", 200.0, 20.0), **b)
    # sold at the very second of the CSV visit: "at or before" includes it
    wh.insert("sales", sale(1005, 1, 100, 7, "2024-01-05 00:00:00", 100.0), **b)


def load_batch2(wh: Warehouse) -> None:
    b = {"at": T2, "batch": 2}
    wh.change("users", {**wh.current("users", 1), "country": "PL", "city": "Warsaw"}, **b)
    wh.change("categories", {"category_id": 1, "name": "Software Development"}, **b)
    wh.change("traffic_sources", {"traffic_source_id": 2, "name": "Meta", "channel": "social"}, **b)
    wh.insert(
        "user_traffic",
        {"visit_id": 4, "user_id": 1, "traffic_source_id": 1, "visited_at": "2024-02-20 00:00:00"},
        **b,
    )
    wh.change(
        "sales",
        sale(1004, 2, 200, 8, "2024-01-09 00:00:00", 200.0, 20.0, 30.0, "partially_refunded"),
        **b,
    )
    wh.close("sales", 1002, **b)
    # sold before T2: the country change is not known yet at sold_at (load-time validity)
    wh.insert("sales", sale(1006, 1, 100, 8, "2024-02-25 00:00:00", 100.0), **b)


def load_batch3(wh: Warehouse) -> None:
    b = {"at": T3, "batch": 3}
    wh.change("subcategories", {"subcategory_id": 20, "category_id": 1, "name": "UX"}, **b)
    wh.insert("sales", sale(1007, 1, 100, 7, "2024-03-15 00:00:00", 100.0, 5.0), **b)
    wh.insert("sales", sale(1008, 2, 200, 8, "2024-03-20 00:00:00", 200.0), **b)


@dataclass
class Snapshot:
    """What the star schema looked like after one build."""

    result: BuildResult
    facts: dict[int, dict[str, Any]]
    dims: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


FACT_SQL = f"""
select f.*, u.country, u.city, c.category_name, c.subcategory_name, t.traffic_source_name,
       m.first_name as manager_first_name, d.date_day
from {STAR}.fact_sales f
join {STAR}.dim_user u on u.user_key = f.user_key
join {STAR}.dim_course c on c.course_key = f.course_key
join {STAR}.dim_sales_manager m on m.sales_manager_key = f.sales_manager_key
join {STAR}.dim_traffic_source t on t.traffic_source_key = f.traffic_source_key
join {STAR}.dim_date d on d.date_key = f.date_key
"""


def build(wh: Warehouse, work: Path, batch: int, *, full_refresh: bool = False) -> Snapshot:
    result = dbt_build(
        project_dir=default_project_dir(),
        work_dir=work,
        target=wh.target(),
        vars={},
        full_refresh=full_refresh,
    )
    facts = {row["sale_id"]: row for row in wh.query_dicts(FACT_SQL)}
    dims = {
        name: wh.query_dicts(f"select * from {STAR}.{name}")
        for name in ("dim_user", "dim_course", "dim_sales_manager", "dim_traffic_source")
    }
    return Snapshot(result, facts, dims)


@pytest.fixture(scope="module", params=ENGINES)
def scenario(request, tmp_path_factory) -> Iterator[dict[str, Snapshot]]:
    engine = request.param
    tmp = tmp_path_factory.mktemp(f"scenario_{engine}")
    dbname = None
    pg_url = None
    if engine == "postgres":
        admin = request.getfixturevalue("pg_admin_url")
        dbname = f"histar_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'create database "{dbname}"')
        pg_url = admin.rpartition("/")[0] + "/" + dbname
    try:
        wh = new_warehouse(engine, tmp, pg_url)
        work = tmp / "dbt"
        snaps: dict[str, Snapshot] = {}
        load_batch1(wh)
        snaps["b1"] = build(wh, work, 1)
        load_batch2(wh)
        snaps["b2"] = build(wh, work, 2)
        load_batch3(wh)
        snaps["b3"] = build(wh, work, 3)
        snaps["full"] = build(wh, work, 3, full_refresh=True)
        yield snaps
    finally:
        if dbname:
            with psycopg.connect(request.getfixturevalue("pg_admin_url"), autocommit=True) as c:
                c.execute(f'drop database if exists "{dbname}" with (force)')


def test_builds_report_models_and_tests(scenario):
    for snap in scenario.values():
        assert snap.result.success
        assert snap.result.models == 15
        assert snap.result.tests > 50
        assert snap.result.failures == []


def test_point_in_time_user_version(scenario):
    facts = scenario["b3"].facts
    # before the country change (and before it was loaded): the old version
    assert facts[1001]["country"] == "DE"
    assert facts[1006]["country"] == "DE"
    # after it: the new version
    assert facts[1007]["country"] == "PL"
    assert facts[1007]["city"] == "Warsaw"
    assert facts[1001]["user_key"] != facts[1007]["user_key"]
    assert facts[1001]["user_id"] == facts[1007]["user_id"] == 1


def test_course_version_follows_category_and_subcategory(scenario):
    facts = scenario["b3"].facts
    assert facts[1001]["category_name"] == "Programming"
    assert facts[1007]["category_name"] == "Software Development"
    courses = sorted(
        (r for r in scenario["b3"].dims["dim_course"] if r["course_id"] == 200),
        key=lambda r: r["start_date"],
    )
    assert [r["category_name"] for r in courses] == ["Design", "Software Development"]
    assert [r["is_current"] for r in courses] == [False, True]
    assert str(courses[0]["valid_from"]).startswith("1900-01-01")
    assert courses[0]["end_date"] == courses[1]["start_date"]
    c100 = [r for r in scenario["b3"].dims["dim_course"] if r["course_id"] == 100]
    assert len(c100) == 2  # category 1 renamed at T2; its subcategory never changed


def test_traffic_source_attribution(scenario):
    b1, b3 = scenario["b1"].facts, scenario["b3"].facts
    # last visit at or before sold_at: the CSV visit (2024-01-05), not the earlier one
    assert b3[1001]["attributed_visit_id"] == CSV_VISIT
    assert b3[1001]["traffic_source_id"] == 2
    assert b3[1001]["traffic_source_name"] == "Facebook"  # the version valid then
    assert b3[1005]["attributed_visit_id"] == CSV_VISIT  # visit at the same second counts
    assert b3[1006]["traffic_source_id"] == 1  # the visit of 2024-02-20
    assert b3[1008]["traffic_source_id"] == 3
    # no visit before the sale: unknown member
    assert b1[1002]["traffic_source_key"] == -1
    assert b1[1002]["traffic_source_id"] is None
    assert b1[1002]["traffic_source_name"] == "Unknown"


def test_unknown_user(scenario):
    fact = scenario["b3"].facts[1003]
    assert fact["user_key"] == -1
    assert fact["user_id"] == 999
    assert fact["country"] == "Unknown"
    for name, rows in scenario["b3"].dims.items():
        key = name.removeprefix("dim_") + "_key"
        assert sum(1 for r in rows if r[key] == -1) == 1, name


def test_money_and_refunds(scenario):
    before, after = scenario["b1"].facts[1004], scenario["b2"].facts[1004]
    assert before["net_amount"] == Decimal("180.00")
    assert before["net_revenue"] == Decimal("180.00")
    assert after["list_price"] == Decimal("200.00")
    assert after["discount"] == Decimal("20.00")
    assert after["net_amount"] == Decimal("180.00")
    assert after["refunded_amount"] == Decimal("30.00")
    assert after["net_revenue"] == Decimal("150.00")
    assert after["status"] == "partially_refunded"
    assert scenario["b3"].facts[1007]["net_revenue"] == Decimal("95.00")


def test_deleted_sale_leaves_the_fact(scenario):
    assert 1002 in scenario["b1"].facts
    assert 1002 not in scenario["b2"].facts
    assert set(scenario["b3"].facts) == {1001, 1003, 1004, 1005, 1006, 1007, 1008}


def test_incremental_equals_full_refresh(scenario):
    inc, full = scenario["b3"].facts, scenario["full"].facts
    assert inc == full
    # batch_id: the batch that inserted each sale's current version
    assert {k: v["batch_id"] for k, v in inc.items()} == {
        1001: 1,
        1003: 1,
        1005: 1,
        1004: 2,
        1006: 2,
        1007: 3,
        1008: 3,
    }


def test_surrogate_keys_are_stable(scenario):
    def keys(snap: Snapshot, dim: str) -> dict[tuple, int]:
        entity = dim.removeprefix("dim_")
        return {
            (r[f"{entity}_id"], str(r["start_date"])): r[f"{entity}_key"] for r in snap.dims[dim]
        }

    for dim in scenario["b1"].dims:
        first, last = keys(scenario["b1"], dim), keys(scenario["full"], dim)
        for version, key in first.items():
            assert last[version] == key, (dim, version)
    assert len(scenario["full"].dims["dim_user"]) == 4  # 3 versions + unknown
    for sale_id in (1001, 1003, 1005):
        f1, f3 = scenario["b1"].facts[sale_id], scenario["full"].facts[sale_id]
        for key in ("user_key", "course_key", "sales_manager_key", "traffic_source_key"):
            assert f1[key] == f3[key], (sale_id, key)


def test_dim_date(scenario):
    facts = scenario["b3"].facts
    assert facts[1001]["date_key"] == 20240106
    assert facts[1001]["date_day"] == date(2024, 1, 6)


@pytest.mark.parametrize("engine", ENGINES)
def test_dim_date_calendar(engine, request, tmp_path):
    pg_url = request.getfixturevalue("pg_database") if engine == "postgres" else None
    wh = new_warehouse(engine, tmp_path, pg_url)
    result = dbt_build(
        project_dir=default_project_dir(),
        work_dir=tmp_path / "dbt",
        target=wh.target(),
        vars={},
        select="dim_date",
    )
    assert result.models == 1
    rows = wh.query_dicts(f"select * from {STAR}.dim_date")
    assert len(rows) == (date(2035, 12, 31) - date(2015, 1, 1)).days + 1 + 1  # + unknown
    leap = next(r for r in rows if r["date_key"] == 20240229)
    assert leap["date_day"] == date(2024, 2, 29)
    assert (leap["year_number"], leap["quarter_number"], leap["month_number"]) == (2024, 1, 2)
    assert (leap["month_name"], leap["day_name"], leap["day_of_week"]) == (
        "February",
        "Thursday",
        4,
    )
    assert leap["is_weekend"] is False


@pytest.mark.parametrize("engine", ENGINES)
def test_overlapping_versions_fail_the_build(engine, request, tmp_path):
    pg_url = request.getfixturevalue("pg_database") if engine == "postgres" else None
    wh = new_warehouse(engine, tmp_path, pg_url)
    load_batch1(wh)
    # a broken history: a second version of user 2 overlapping the current one
    wh.insert("users", {"user_id": 2, "country": "ES"}, at="2024-01-20 00:00:00", batch=2)
    with pytest.raises(TransformError) as err:
        dbt_build(
            project_dir=default_project_dir(),
            work_dir=tmp_path / "dbt",
            target=wh.target(),
            vars={},
        )
    message = str(err.value)
    assert "source_scd2_no_overlapping_versions_school_users_user_id" in message
    assert "failing row" in message
    assert err.value.result is not None and not err.value.result.success
