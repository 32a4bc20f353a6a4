"""apply_changes(): the reported updates, inserts and deletes happen, cursors move forward."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from histar.datagen import TABLES, apply_changes, pools

from .support import Db, Generated

NOW = datetime(2026, 1, 5, 12, 0, 0)
NOW_TEXT = "2026-01-05 12:00:00"
RECENT = (NOW - timedelta(minutes=20)).strftime("%Y-%m-%d %H:%M:%S")
KEYS = {t.name: t.primary_key[0] for t in TABLES}


def by_id(db: Db, table: str, columns: str) -> dict[int, tuple]:
    return {r[0]: r[1:] for r in db.rows(f"select {KEYS[table]}, {columns} from {table}")}


def ids_in(ids: list[int]) -> str:
    return "(" + ", ".join(str(i) for i in ids) + ")"


@pytest.fixture
def changed(make_source: Callable[..., Generated]) -> tuple[Generated, dict, object]:
    src = make_source()
    db = src.db
    before = {
        "counts": {t.name: db.scalar(f"select count(*) from {t.name}") for t in TABLES},
        "users": by_id(db, "users", "country, email, city"),
        "courses": by_id(db, "courses", "price, subcategory_id"),
        "managers": by_id(db, "sales_managers", "region"),
        "max_visit": db.scalar("select max(visit_id) from user_traffic"),
        "max_sales_cursor": db.scalar("select max(updated_at) from sales"),
    }
    result = apply_changes(src.url, src.csv_dir, seed=7, fraction=0.002, now=NOW)
    return src, before, result


def test_counts_match_the_database(changed: tuple) -> None:
    src, before, result = changed
    db = src.db
    for name, change in result.changes.items():
        after = db.scalar(f"select count(*) from {name}")
        assert after == before["counts"][name] + change.inserted - change.deleted, name
        if "updated_at" in [c for c, _ in next(t for t in TABLES if t.name == name).columns]:
            stamped = db.scalar(f"select count(*) from {name} where updated_at = '{NOW_TEXT}'")
            assert stamped == change.updated + change.inserted, name
    for name in ("users", "courses", "sales_managers", "enrollments", "sales"):
        assert result.changes[name].updated >= 2, name
    for name in ("users", "user_traffic", "enrollments", "sales"):
        assert result.changes[name].inserted >= 3, name
    assert result.changes["users"].deleted >= 2
    assert result.changes["traffic_sources"].deleted == 1
    for name in ("user_traffic", "enrollments", "sales"):  # incremental tables only grow
        assert result.changes[name].deleted == 0


def test_updates_change_values(changed: tuple) -> None:
    src, before, result = changed
    db, d = src.db, result.details
    users = by_id(db, "users", "country, email, city")
    for uid in d["users_moved"]:
        (country, email, city), (old_country, old_email, _) = users[uid], before["users"][uid]
        assert country != old_country and email != old_email
        assert city in next(c for n, _, c, _ in pools.COUNTRIES if n == country)
    courses = by_id(db, "courses", "price, subcategory_id")
    for cid in d["courses_repriced"]:
        assert courses[cid][0] != before["courses"][cid][0]
        assert round(courses[cid][0] * 100) in pools.PRICE_CENTS
    (moved,) = d["courses_moved"]
    assert courses[moved][1] != before["courses"][moved][1]
    managers = by_id(db, "sales_managers", "region")
    for mid in d["managers_moved"]:
        assert managers[mid] != before["managers"][mid]
        assert managers[mid][0] in pools.REGIONS
    refunds = db.rows(
        "select s.status, s.refunded_amount, s.list_price - s.discount, e.status "
        f"from sales s join enrollments e using (enrollment_id) where sale_id in "
        f"{ids_in(d['sales_refunded'])}"
    )
    assert len(refunds) == len(d["sales_refunded"])
    for status, refunded, paid, enrollment_status in refunds:
        assert status == "refunded" and enrollment_status == "cancelled"
        assert refunded == pytest.approx(paid, abs=1e-9)
    completed = db.rows(
        f"select distinct status from enrollments where enrollment_id in "
        f"{ids_in(d['enrollments_completed'])}"
    )
    assert completed == [("completed",)]


def test_deletes_keep_foreign_keys(changed: tuple) -> None:
    src, _, result = changed
    db, d = src.db, result.details
    gone = ids_in(d["users_deleted"])
    assert db.scalar(f"select count(*) from users where user_id in {gone}") == 0
    for table in ("sales", "enrollments"):
        assert db.scalar(f"select count(*) from {table} where user_id in {gone}") == 0
    assert d["traffic_sources_deleted"] == [12]  # the retired source, never visited
    assert db.scalar("select count(*) from user_traffic where traffic_source_id = 12") == 0
    # sales still reference existing rows and follow a visit
    assert (
        db.scalar(
            "select count(*) from sales s left join users u using (user_id) "
            "left join courses c using (course_id) left join sales_managers m using (manager_id) "
            "left join enrollments e on e.enrollment_id = s.enrollment_id "
            "and e.user_id = s.user_id and e.course_id = s.course_id "
            "where u.user_id is null or c.course_id is null or m.manager_id is null "
            "or e.enrollment_id is null"
        )
        == 0
    )
    assert (
        db.scalar(
            "select count(*) from sales s where not exists (select 1 from user_traffic v "
            "where v.user_id = s.user_id and v.visited_at < s.sold_at)"
        )
        == 0
    )


def test_new_events_are_recent_and_move_cursors(changed: tuple) -> None:
    src, before, result = changed
    db, d = src.db, result.details
    new_sales = ids_in(d["sales_inserted"])
    rows = db.rows(
        "select s.sold_at, s.list_price, c.price, s.status, s.refunded_amount, e.enrolled_at "
        "from sales s join courses c using (course_id) join enrollments e using (enrollment_id) "
        f"where s.sale_id in {new_sales}"
    )
    assert len(rows) == len(d["sales_inserted"])
    for sold_at, list_price, price, status, refunded, enrolled_at in rows:
        assert RECENT <= sold_at < NOW_TEXT and sold_at <= enrolled_at <= NOW_TEXT
        assert list_price == price and status == "paid" and refunded == 0
    visits = db.rows(
        f"select visit_id, visited_at from user_traffic where visit_id > {before['max_visit']}"
    )
    assert sorted(v[0] for v in visits) == d["visits_inserted"]
    assert all(RECENT <= v[1] < NOW_TEXT for v in visits)
    assert db.scalar("select max(updated_at) from sales") == NOW_TEXT > before["max_sales_cursor"]
    assert db.scalar("select max(updated_at) from enrollments") == NOW_TEXT
    new_users = db.rows(
        "select registered_at, updated_at from users "
        f"where user_id in {ids_in(d['users_inserted'])}"
    )
    assert all(RECENT <= r < NOW_TEXT and u == NOW_TEXT for r, u in new_users)


def test_new_csv_file(changed: tuple) -> None:
    src, _, result = changed
    f = result.csv_file
    assert f.number == 3 and f.path.name == "user_traffic_mediahive_3.csv"
    assert f.path.parent == src.csv_dir and f.bad_rows == 3 and f.good_rows >= 10
    assert f.first_visit_id == src.result.csv_files[-1].last_visit_id + 1
    lines = f.path.read_bytes().splitlines()
    assert len(lines) == 1 + f.good_rows + f.bad_rows
    for line in lines[1 : 1 + f.good_rows]:
        visited = line.decode().split(",")[3].strip('"')
        assert RECENT <= visited < NOW_TEXT
    assert sorted(f.bad_lines.values()) == [f.good_rows + 2, f.good_rows + 3, f.good_rows + 4]
    assert int(lines[-1].split(b",")[0]) == f.last_visit_id


def test_second_batch_continues(changed: tuple) -> None:
    src, _, first = changed
    second = apply_changes(src.url, src.csv_dir, now=NOW + timedelta(hours=1))
    assert second.csv_file.number == 4
    assert second.csv_file.first_visit_id == first.csv_file.last_visit_id + 1
    assert second.changes["traffic_sources"].deleted == 0
    assert min(second.details["sales_inserted"]) > max(first.details["sales_inserted"])
    assert second.details["users_moved"] != first.details["users_moved"]


def test_now_must_follow_the_data(make_source: Callable[..., Generated]) -> None:
    src = make_source()
    with pytest.raises(ValueError, match="later than"):
        apply_changes(src.url, src.csv_dir, now=datetime(2025, 6, 1))
    assert [p.name for p in sorted(src.csv_dir.iterdir())] == sorted(
        f.path.name for f in src.result.csv_files
    )


def test_changes_are_deterministic(make_source: Callable[..., Generated]) -> None:
    a, b = make_source(name="a"), make_source(name="b")
    ra = apply_changes(a.url, a.csv_dir, seed=3, now=NOW)
    rb = apply_changes(b.url, b.csv_dir, seed=3, now=NOW)
    assert ra.details == rb.details and ra.changes == rb.changes
    for table in TABLES:
        assert a.db.normalised(table.name) == b.db.normalised(table.name), table.name
    assert ra.csv_file.path.read_bytes() == rb.csv_file.path.read_bytes()
