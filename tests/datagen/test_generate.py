"""generate(): sizes, determinism, realistic relations, timestamps and the agency CSV files."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from histar.datagen import CSV_VISIT_ID_OFFSET, TABLES, TABLES_BY_NAME, parse_source_url

from .support import AS_OF, ROWS, Generated

TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
TS_COLUMNS = [(t.name, c) for t in TABLES for c, kind in t.columns if kind == "timestamp"]


def test_parse_source_url() -> None:
    assert parse_source_url("sqlite:///data/src.sqlite").path == Path("data/src.sqlite")
    assert parse_source_url("sqlite:////abs/src.sqlite").path == Path("/abs/src.sqlite")
    pg = parse_source_url("postgresql+psycopg://u:pw@db.local:5433/shop")
    assert (pg.dialect, pg.uri) == ("postgresql", "postgresql://u:pw@db.local:5433/shop")
    for bad in ("mysql://x/y", "sqlite://", "postgresql://host-only", "nonsense"):
        with pytest.raises(ValueError):
            parse_source_url(bad)


def test_row_counts_near_target(sqlite_source: Generated) -> None:
    result, db = sqlite_source.result, sqlite_source.db
    for table in TABLES:
        assert db.scalar(f"select count(*) from {table.name}") == result.tables[table.name]
    assert abs(result.total_rows - ROWS) / ROWS < 0.05
    assert result.tables["categories"] == 10
    assert result.tables["subcategories"] == 40
    assert result.tables["sales_managers"] == 25
    assert result.tables["traffic_sources"] == 12
    assert result.tables["courses"] == 50
    assert result.tables["user_traffic"] > result.tables["sales"] > result.tables["users"]


def test_primary_keys_declared_and_unique(sqlite_source: Generated) -> None:
    db = sqlite_source.db
    for table in TABLES:
        (key,) = table.primary_key
        info = db.rows(f"pragma table_info({table.name})")
        assert [r[1] for r in info] == table.column_names
        assert [r[1] for r in info if r[5]] == [key]
        assert db.scalar(f"select count(distinct {key}) from {table.name}") == db.scalar(
            f"select count(*) from {table.name}"
        )


INTEGRITY = {
    "sale without user": "select count(*) from sales s left join users u using (user_id) "
    "where u.user_id is null",
    "sale without course": "select count(*) from sales s left join courses c using (course_id) "
    "where c.course_id is null",
    "sale without manager": "select count(*) from sales s left join sales_managers m "
    "using (manager_id) where m.manager_id is null",
    "sale without its enrollment": "select count(*) from sales s left join enrollments e "
    "on e.enrollment_id = s.enrollment_id and e.user_id = s.user_id "
    "and e.course_id = s.course_id where e.enrollment_id is null",
    "enrollment without user or course": "select count(*) from enrollments e "
    "left join users u using (user_id) left join courses c using (course_id) "
    "where u.user_id is null or c.course_id is null",
    "visit without user or source": "select count(*) from user_traffic v "
    "left join users u using (user_id) left join traffic_sources t using (traffic_source_id) "
    "where u.user_id is null or t.traffic_source_id is null",
    "course without subcategory": "select count(*) from courses c left join subcategories s "
    "using (subcategory_id) left join categories k on k.category_id = s.category_id "
    "where k.category_id is null",
    "sale without an earlier visit": "select count(*) from sales s where not exists (select 1 "
    "from user_traffic v where v.user_id = s.user_id and v.visited_at < s.sold_at)",
    "sale before registration": "select count(*) from sales s join users u using (user_id) "
    "where s.sold_at < u.registered_at",
    "enrollment before course": "select count(*) from enrollments e join courses c "
    "using (course_id) where e.enrolled_at < c.created_at",
}


@pytest.mark.parametrize("check", sorted(INTEGRITY))
def test_referential_integrity(sqlite_source: Generated, check: str) -> None:
    assert sqlite_source.db.scalar(INTEGRITY[check]) == 0, check


def test_sales_money(sqlite_source: Generated) -> None:
    db = sqlite_source.db
    rows = db.rows(
        "select s.list_price, c.price, s.discount, s.refunded_amount, s.status "
        "from sales s join courses c using (course_id)"
    )
    statuses = {r[4] for r in rows}
    assert statuses == {"paid", "refunded"}
    for list_price, price, discount, refunded, status in rows:
        assert list_price == price
        assert 0 <= discount <= round(0.3 * list_price, 2) + 0.01
        if status == "refunded":
            assert refunded == pytest.approx(list_price - discount, abs=1e-9)
        else:
            assert refunded == 0
    # money is stored exactly to the cent
    assert db.scalar("select count(*) from sales where round(list_price, 2) <> list_price") == 0
    refunded_enrollments = db.rows(
        "select distinct e.status from sales s join enrollments e using (enrollment_id) "
        "where s.status = 'refunded'"
    )
    assert refunded_enrollments == [("cancelled",)]


def test_timestamps(sqlite_source: Generated) -> None:
    db = sqlite_source.db
    as_of = AS_OF.strftime("%Y-%m-%d %H:%M:%S")
    for table, column in TS_COLUMNS:
        values = [r[0] for r in db.rows(f"select {column} from {table}")]
        assert all(isinstance(v, str) and TS_RE.match(v) for v in values), (table, column)
        assert max(values) <= as_of, (table, column)
    for table in ("sales", "enrollments", "user_traffic", "users"):
        column = TABLES_BY_NAME[table].columns[-2 if table != "user_traffic" else 3][0]
        assert db.scalar(f"select min({column}) from {table}") >= "2023-12-31"
    assert db.scalar("select count(*) from sales where updated_at < sold_at") == 0
    assert db.scalar("select count(*) from users where updated_at < registered_at") == 0
    # events spread over the two years: both years have sales, the later one more (growth)
    by_year = dict(db.rows("select substr(sold_at, 1, 4), count(*) from sales group by 1"))
    assert by_year["2025"] > by_year["2024"] > 0


def test_deterministic(make_source: Callable[..., Generated]) -> None:
    a, b = make_source(name="a"), make_source(name="b")
    c = make_source(name="c", seed=43)
    for table in TABLES:
        assert a.db.normalised(table.name) == b.db.normalised(table.name), table.name
    assert a.db.normalised("sales") != c.db.normalised("sales")
    for fa, fb in zip(a.result.csv_files, b.result.csv_files, strict=True):
        assert fa.path.name == fb.path.name
        assert fa.path.read_bytes() == fb.path.read_bytes()


def test_generate_replaces_existing(make_source: Callable[..., Generated]) -> None:
    first = make_source(name="same", rows=4_000)
    second = make_source(name="same", rows=2_000)
    assert second.db.scalar("select count(*) from sales") == second.result.tables["sales"]
    assert second.result.tables["sales"] < first.result.tables["sales"]
    assert sorted(p.name for p in second.csv_dir.iterdir()) == sorted(
        f.path.name for f in second.result.csv_files
    )


def test_progress_reports_every_table(tmp_path: Path) -> None:
    from histar.datagen import generate

    seen: dict[str, int] = {}
    result = generate(
        f"sqlite:///{tmp_path}/s.sqlite", tmp_path / "csv", rows=2_000,
        progress=lambda table, n: seen.__setitem__(table, n),
    )  # fmt: skip
    assert seen == result.tables


def test_csv_files(sqlite_source: Generated) -> None:
    files = sqlite_source.result.csv_files
    columns = TABLES_BY_NAME["user_traffic"].column_names
    assert [f.path.name for f in files] == [
        "user_traffic_northwind_1.csv",
        "user_traffic_brightads_2.csv",
    ]
    users = sqlite_source.db.scalar("select count(*) from users")
    seen_ids: set[int] = set()
    for f in files:
        lines = f.path.read_bytes().split(b"\n")
        assert lines[-1] == b""  # ends with a newline
        lines = lines[:-1]
        assert lines[0].decode() == ",".join(columns)
        assert len(lines) == 1 + f.good_rows + f.bad_rows
        assert f.bad_rows == 3
        assert f.good_rows == round(ROWS * 0.04)
        good = list(csv.reader(line.decode("utf-8") for line in lines[1 : 1 + f.good_rows]))
        for visit_id, user_id, source_id, visited_at, campaign in good:
            assert int(visit_id) > CSV_VISIT_ID_OFFSET and 1 <= int(user_id) <= users
            assert 1 <= int(source_id) <= 12 and TS_RE.match(visited_at) and campaign
        ids = [int(r[0]) for r in good]
        assert ids == sorted(ids) and ids[0] == f.first_visit_id
        assert not seen_ids & set(ids)
        seen_ids |= set(ids)
        bad = {kind: lines[n - 1] for kind, n in f.bad_lines.items()}
        assert set(bad) == {"missing_column", "non_numeric_user_id", "invalid_utf8"}
        assert len(bad["missing_column"].decode().split(",")) == len(columns) - 1
        fields = bad["non_numeric_user_id"].decode().split(",")
        assert len(fields) == len(columns) and not fields[1].isdigit()
        with pytest.raises(UnicodeDecodeError):
            bad["invalid_utf8"].decode("utf-8")
        assert len(bad["invalid_utf8"].split(b",")) == len(columns)
        assert int(lines[-1].split(b",")[0]) == f.last_visit_id


def test_csv_readable_by_duckdb_with_rejects(sqlite_source: Generated) -> None:
    """What the extractor sees: every good row typed, every bad row rejected."""
    duckdb = pytest.importorskip("duckdb")
    f = sqlite_source.result.csv_files[0]
    types = {"visit_id": "BIGINT", "user_id": "BIGINT", "traffic_source_id": "BIGINT",
             "visited_at": "TIMESTAMP", "utm_campaign": "VARCHAR"}  # fmt: skip
    con = duckdb.connect()
    # materialise every column: a bare count(*) would skip the per-column checks
    con.execute(
        f"create table t as select * from read_csv('{f.path}', header = true, "
        f"columns = {types}, ignore_errors = true, store_rejects = true)"
    )
    assert con.execute("select count(*) from t").fetchall() == [(f.good_rows,)]
    rejected = con.execute("select line from reject_errors order by line").fetchall()
    assert sorted({r[0] for r in rejected}) == sorted(f.bad_lines.values())
