"""The dashboard YAML format: the shipped dashboard loads, mistakes give one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from histar.config import load_config, write_default_project
from histar.dashboards.data import ALL_FROM, ALL_TO, bind_values, parse_filters
from histar.dashboards.definitions import DashboardError, load_dashboards, load_file
from histar.dashboards.query import bind, parameters

MINIMAL = {
    "name": "mini",
    "title": "Mini",
    "filters": [{"name": "category", "type": "select", "options_sql": "select 1"}],
    "tabs": [
        {
            "title": "One",
            "tiles": [
                {
                    "id": "k",
                    "type": "kpi",
                    "sql": "select count(*) as n from t where :category is null",
                }
            ],
        }
    ],
}


def write(folder: Path, data: object, name: str = "mini.yml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False) if not isinstance(data, str) else data)
    return path


def test_shipped_school_dashboard(tmp_path: Path) -> None:
    write_default_project(tmp_path)
    boards = load_dashboards(load_config(tmp_path))
    assert [b.name for b in boards] == ["school_sales"]
    board = boards[0]
    assert [t.title for t in board.tabs] == ["Sales", "Traffic and managers"]
    assert [t.id for t in board.tiles] == [
        "kpis", "revenue_by_quarter", "top_courses", "revenue_by_category",
        "sales_by_source_month", "revenue_by_source_month", "conversion_by_source",
        "revenue_by_manager",
    ]  # fmt: skip
    assert [f.name for f in board.filters] == ["category", "country", "date_range"]


def test_project_dashboard_added_and_replacing(tmp_path: Path) -> None:
    write_default_project(tmp_path)
    write(tmp_path / "dashboards", MINIMAL)
    write(tmp_path / "dashboards", {**MINIMAL, "name": "school_sales", "title": "Mine"}, "s.yml")
    boards = {b.name: b for b in load_dashboards(load_config(tmp_path))}
    assert set(boards) == {"mini", "school_sales"}
    assert boards["school_sales"].title == "Mine"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "Bad Name"}, "name: 'Bad Name' is not a valid name"),
        ({"colour": 1}, "colour: unknown key"),
        ({"tabs": []}, "tabs: must be a non-empty list"),
        ({"filters": [{"name": "x", "type": "slider"}]}, "filters[0].type: 'slider' is not one"),
        (
            {"filters": [{"name": "d", "type": "date_range"}]},
            "filters[0].bounds_sql: a date_range filter needs bounds_sql",
        ),
        (
            {"tabs": [{"tiles": [{"id": "a", "type": "bar", "sql": "select 1", "y": "n"}]}]},
            "tabs[0].tiles[0].x: a bar tile needs x",
        ),
        (
            {"tabs": [{"tiles": [{"id": "a", "type": "kpi", "sql": "select :nope"}]}]},
            "tabs[0].tiles[0].sql: unknown parameter(s) :nope",
        ),
        (
            {"tabs": [{"tiles": [{"id": "a", "type": "kpi", "sql": "x", "width": 13}]}]},
            "tabs[0].tiles[0].width: must be an integer 1..12",
        ),
        (
            {"tabs": [{"tiles": [{"id": "a", "type": "kpi", "sql": "x"}] * 2}]},
            "tabs[0].tiles[1].id: duplicate tile id 'a'",
        ),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, change: dict, message: str) -> None:
    path = write(tmp_path, {**MINIMAL, **change})
    with pytest.raises(DashboardError) as info:
        load_file(path)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: ")
    assert message in text


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\ntabs: [\n")
    with pytest.raises(DashboardError, match=r"mini\.yml: line \d+: invalid YAML"):
        load_file(path)


def test_bind_rewrites_parameters_only() -> None:
    sql = (
        "select ':skip' as s, \"a:b\" , x::int -- :comment\n"
        "from t where c = :category or d >= :date_range_from and e like '%x'"
    )
    assert parameters(sql) == ["category", "date_range_from"]
    types = {"category": "varchar", "date_range_from": "date"}
    values = {"category": "a", "date_range_from": "2025-01-01"}
    duck, args = bind(sql, values, types, "duckdb")
    assert "cast($category as varchar)" in duck and "cast($date_range_from as date)" in duck
    assert "':skip'" in duck and "x::int" in duck and "'%x'" in duck
    assert args == values
    pg, _ = bind(sql, values, types, "postgres")
    assert "cast(%(category)s as varchar)" in pg and "'%%x'" in pg and "x::int" in pg


def test_filter_arguments(tmp_path: Path) -> None:
    write_default_project(tmp_path)
    board = load_dashboards(load_config(tmp_path))[0]
    values = parse_filters(board, ["category=Data", "date_range=2025-01-01..2025-06-30"])
    from datetime import date

    assert values == {"category": "Data", "date_range": (date(2025, 1, 1), date(2025, 6, 30))}
    bound = bind_values(board, values)
    assert bound["date_range_to"] == date(2025, 7, 1)  # exclusive upper bound
    assert bound["country"] is None
    assert parse_filters(board, ["date_range=..2025-01-31"])["date_range"] == (
        ALL_FROM,
        date(2025, 1, 31),
    )
    assert bind_values(board, {})["date_range_to"] > ALL_TO
    for bad in ["category", "nope=1", "date_range=2025-01-01", "date_range=2025-02-01..2025-01-01"]:
        with pytest.raises(DashboardError, match="--filter"):
            parse_filters(board, [bad])
