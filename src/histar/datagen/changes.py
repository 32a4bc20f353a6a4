"""apply_changes(): one realistic change batch on the source, in set-based SQL and Arrow ingest."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from histar.datagen import csvfiles, facts, people, pools
from histar.datagen.dims import take
from histar.datagen.results import ChangeResult, CsvFile, TableChange
from histar.datagen.schema import TABLES
from histar.datagen.source import Source, connect, money_array, ts_array, ts_literal
from histar.datagen.world import World, epoch

log = logging.getLogger(__name__)

Rng = np.random.Generator


def apply_changes(
    source_url: str,
    csv_dir: Path,
    *,
    seed: int = 7,
    fraction: float = 0.001,
    now: datetime | None = None,
) -> ChangeResult:
    """Update, insert and delete about ``fraction`` of each table's rows, in one transaction,
    and deliver one new agency CSV file. Changed and new rows get ``updated_at = now``; new
    events happen in the minutes before ``now`` (naive UTC, default: the current time)."""
    began = time.perf_counter()
    now = now or datetime.now(UTC)
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    now = now.replace(microsecond=0)
    t_now = epoch(now)
    rng = np.random.default_rng(np.random.SeedSequence([seed, t_now]))
    with connect(source_url) as src:
        batch = _Batch(src, rng, fraction, t_now)
        batch.check_cursors()
        batch.update_users()
        batch.update_courses()
        batch.move_managers()
        batch.refund_and_progress()
        batch.delete_unused()
        batch.insert_events()
        src.commit()
    csv_file = batch.deliver_csv(Path(csv_dir))
    result = ChangeResult(
        changes={t.name: batch.changes.get(t.name, TableChange()) for t in TABLES},
        csv_file=csv_file,
        now=now,
        seconds=time.perf_counter() - began,
        details=batch.details,
    )
    log.info("applied %d row changes and delivered %s", result.total, csv_file.path.name)
    return result


class _Batch:
    def __init__(self, src: Source, rng: Rng, fraction: float, t_now: int) -> None:
        self.src, self.rng, self.fraction, self.t_now = src, rng, fraction, t_now
        self.now_sql = ts_literal(src.dialect, t_now)
        self.changes: dict[str, TableChange] = {}
        self.details: dict[str, list[int]] = {}
        self.staged = 0
        self.users_now = np.zeros(0, dtype=np.int64)  # user ids after the batch
        self.visits = 0  # database visits after the batch

    # -- helpers -------------------------------------------------------------------------------

    def ids(self, sql: str) -> np.ndarray:
        """A sorted id column from a query (sorted so choices do not depend on scan order)."""
        table = self.src.query(sql)
        return np.sort(table.column(0).to_numpy(zero_copy_only=False).astype(np.int64))

    def how_many(self, population: int, minimum: int = 3) -> int:
        return min(population, max(minimum, round(self.fraction * population)))

    def choose(self, ids: np.ndarray, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
        if exclude is not None and len(exclude):
            ids = ids[~np.isin(ids, exclude)]
        return np.sort(self.rng.choice(ids, min(k, len(ids)), replace=False))

    def stage(self, name: str, data: pa.Table) -> str:
        """A temporary table holding ``data``; returns its name."""
        self.staged += 1
        temp = f"histar_chg_{self.staged}_{name}"
        self.src.ingest(temp, data, temporary=True)
        return temp

    def update(self, table: str, key: str, data: pa.Table) -> None:
        """UPDATE ``table`` from the staged rows of ``data`` (key + new values), set-based."""
        temp = self.stage(table, data)
        sets = ", ".join(f"{c} = s.{c}" for c in data.column_names if c != key)
        self.src.execute(
            f"update {table} set {sets}, updated_at = {self.now_sql} "
            f"from {temp} s where {table}.{key} = s.{key}"
        )

    def rows(self, table: str, key: str, ids: np.ndarray, columns: str) -> pa.Table:
        temp = self.stage(f"pick_{table}", pa.table({key: ids}))
        return self.src.query(
            f"select t.{key}, {columns} from {table} t join {temp} p on t.{key} = p.{key} "
            f"order by t.{key}"
        )

    def count(self, table: str, *, updated: int = 0, inserted: int = 0, deleted: int = 0) -> None:
        old = self.changes.get(table, TableChange())
        self.changes[table] = TableChange(
            old.updated + updated, old.inserted + inserted, old.deleted + deleted
        )

    # -- the change kinds ----------------------------------------------------------------------

    def check_cursors(self) -> None:
        latest = max(
            str(self.src.scalar(f"select max(updated_at) from {t}") or "")
            for t in ("sales", "enrollments", "users")
        )
        if latest.replace("T", " ") >= self.now_sql.split("'")[1]:
            raise ValueError(
                f"now must be later than the newest updated_at in the source ({latest})"
            )

    def update_users(self) -> None:
        """Users moving country (and city) and changing their email address."""
        picked = self.choose(self.ids("select user_id from users"), self.how_many(self.n("users")))
        old = self.rows("users", "user_id", picked, "t.first_name, t.last_name, t.email, t.country")
        ids = old["user_id"].to_numpy().astype(np.int64)
        n_c = len(people.COUNTRY_NAMES)
        was = pc.fill_null(pc.index_in(old["country"], value_set=pa.array(people.COUNTRY_NAMES)), 0)
        country = (was.to_numpy() + self.rng.integers(1, n_c, len(ids))) % n_c
        email = people.changed_emails(
            self.rng, old["first_name"], old["last_name"], old["email"], ids
        )
        new = pa.table(
            {
                "user_id": ids,
                "country": take(people.COUNTRY_NAMES, country),
                "city": people.cities(self.rng, country),
                "email": email,
            }
        )
        self.update("users", "user_id", new)
        self.note("users", "users_moved", ids, updated=len(ids))

    def update_courses(self) -> None:
        """Price changes (one tier up or down) and one course moving to another subcategory."""
        courses = self.ids("select course_id from courses")
        picked = self.choose(courses, self.how_many(len(courses)) + 1)
        moved, repriced = picked[:1], picked[1:]
        old = self.rows("courses", "course_id", repriced, self.cents("t.price") + " as cents")
        ids = old["course_id"].to_numpy().astype(np.int64)
        tiers = np.asarray(pools.PRICE_CENTS, dtype=np.int64)
        tier = np.clip(np.searchsorted(tiers, old["cents"].to_numpy()), 0, len(tiers) - 1)
        step = np.where(self.rng.random(len(ids)) < 0.5, -1, 1)
        step = np.where(tier + step < 0, 1, np.where(tier + step >= len(tiers), -1, step))
        self.update(
            "courses",
            "course_id",
            pa.table({"course_id": ids, "price": money_array(tiers[tier + step])}),
        )
        self.note("courses", "courses_repriced", ids, updated=len(ids))
        old = self.rows("courses", "course_id", moved, "t.subcategory_id")
        n_sub = sum(len(subs) for _, subs in pools.CATALOGUE)
        sub = (
            old["subcategory_id"].to_numpy() - 1 + self.rng.integers(1, n_sub, len(moved))
        ) % n_sub + 1
        self.update(
            "courses",
            "course_id",
            pa.table({"course_id": moved, "subcategory_id": sub.astype(np.int64)}),
        )
        self.note("courses", "courses_moved", moved, updated=len(moved))

    def move_managers(self) -> None:
        """Sales managers moving to another region."""
        managers = self.ids("select manager_id from sales_managers")
        picked = self.choose(managers, self.how_many(len(managers), minimum=2))
        old = self.rows("sales_managers", "manager_id", picked, "t.region")
        n_r = len(pools.REGIONS)
        was = pc.fill_null(pc.index_in(old["region"], value_set=pa.array(pools.REGIONS)), 0)
        region = (was.to_numpy() + self.rng.integers(1, n_r, len(picked))) % n_r
        ids = old["manager_id"].to_numpy().astype(np.int64)
        self.update(
            "sales_managers",
            "manager_id",
            pa.table({"manager_id": ids, "region": take(pools.REGIONS, region)}),
        )
        self.note("sales_managers", "managers_moved", ids, updated=len(ids))

    def refund_and_progress(self) -> None:
        """Refunds of paid sales (their enrollments cancelled) and enrollments completed."""
        paid = self.ids("select sale_id from sales where status = 'paid'")
        refunds = self.choose(paid, self.how_many(self.n("sales")))
        temp = self.stage("refunds", pa.table({"sale_id": refunds}))
        self.src.execute(
            "update sales set status = 'refunded',"
            " refunded_amount = round(list_price - discount, 2),"
            f" updated_at = {self.now_sql} where sale_id in (select sale_id from {temp})"
        )
        self.note("sales", "sales_refunded", refunds, updated=len(refunds))
        cancelled = self.ids(
            f"select enrollment_id from sales where sale_id in (select sale_id from {temp})"
        )
        self.update(
            "enrollments",
            "enrollment_id",
            pa.table(
                {
                    "enrollment_id": cancelled,
                    "status": pa.repeat(pa.scalar("cancelled"), len(cancelled)),
                }
            ),
        )
        self.note("enrollments", "enrollments_cancelled", cancelled, updated=len(cancelled))
        active = self.ids("select enrollment_id from enrollments where status = 'active'")
        done = self.choose(active, self.how_many(self.n("enrollments")), exclude=cancelled)
        self.update(
            "enrollments",
            "enrollment_id",
            pa.table(
                {"enrollment_id": done, "status": pa.repeat(pa.scalar("completed"), len(done))}
            ),
        )
        self.note("enrollments", "enrollments_completed", done, updated=len(done))

    def delete_unused(self) -> None:
        """Hard-delete a few users without enrollments or sales, and a traffic source without
        visits if there is one. (Their visits stay: user_traffic is append-only.)"""
        if self.src.dialect == "sqlite":  # NOT IN builds a temporary index in SQLite
            sql = (
                "select user_id from users where user_id not in (select user_id from enrollments)"
                " and user_id not in (select user_id from sales)"
            )
        else:  # PostgreSQL plans NOT EXISTS as a hash anti-join
            sql = (
                "select user_id from users u where not exists (select 1 from enrollments e"
                " where e.user_id = u.user_id) and not exists (select 1 from sales s"
                " where s.user_id = u.user_id)"
            )
        candidates = self.ids(sql)
        k = max(2, round(self.fraction * self.n("users") / 4))
        gone = self.choose(candidates, k, exclude=np.asarray(self.details["users_moved"]))
        self.delete("users", "user_id", gone)
        unused = self.ids(
            "select traffic_source_id from traffic_sources t where not exists"
            " (select 1 from user_traffic v where v.traffic_source_id = t.traffic_source_id)"
        )
        self.delete("traffic_sources", "traffic_source_id", unused[:1])

    def delete(self, table: str, key: str, ids: np.ndarray) -> None:
        if len(ids):
            temp = self.stage(f"del_{table}", pa.table({key: ids}))
            self.src.execute(f"delete from {table} where {key} in (select {key} from {temp})")
        self.note(table, f"{table}_deleted", ids, deleted=len(ids))

    def insert_events(self) -> None:
        """New users (each with a first visit), new enrollments and sales (each after a visit)."""
        rng, now = self.rng, self.t_now
        users = self.ids("select user_id from users")
        courses = self.src.query(
            f"select course_id, {self.cents('price')} as cents from courses order by course_id"
        )
        course_ids = courses["course_id"].to_numpy().astype(np.int64)
        price = np.zeros(int(course_ids.max()) + 1, dtype=np.int64)
        price[course_ids] = courses["cents"].to_numpy()
        managers = self.ids("select manager_id from sales_managers")

        k_users = self.how_many(len(users))
        new_users = np.arange(1, k_users + 1, dtype=np.int64) + self.max_id("users", "user_id")
        reg = np.sort(now - rng.integers(600, 900, k_users))
        country = rng.choice(len(people.COUNTRY_NAMES), k_users, p=people.COUNTRY_WEIGHTS)
        user_rows = people.user_rows(rng, new_users, reg, country, np.full(k_users, now))
        self.src.ingest("users", user_rows)
        self.note("users", "users_inserted", new_users, inserted=k_users)

        k_sales = self.how_many(self.n("sales"))
        k_extra = max(0, self.how_many(self.n("enrollments")) - k_sales)
        buyer = np.where(
            rng.random(k_sales) < 0.5, rng.choice(new_users, k_sales), rng.choice(users, k_sales)
        )
        visit_t = now - rng.integers(120, 540, k_sales)
        sold_at = visit_t + rng.integers(10, 110, k_sales)
        learner = np.concatenate([buyer, rng.choice(users, k_extra)])
        enrolled = np.concatenate(
            [sold_at + rng.integers(1, 5, k_sales), now - rng.integers(60, 500, k_extra)]
        )
        course = rng.choice(course_ids, k_sales + k_extra)
        enrollment_id = np.arange(1, k_sales + k_extra + 1, dtype=np.int64) + self.max_id(
            "enrollments", "enrollment_id"
        )
        self.src.ingest(
            "enrollments",
            pa.table(
                {
                    "enrollment_id": enrollment_id,
                    "user_id": learner,
                    "course_id": course,
                    "enrolled_at": ts_array(enrolled),
                    "status": pa.repeat(pa.scalar("active"), len(enrollment_id)),
                    "updated_at": ts_array(np.full(len(enrollment_id), now)),
                }
            ),
        )
        self.note("enrollments", "enrollments_inserted", enrollment_id, inserted=len(enrollment_id))

        sale_id = np.arange(1, k_sales + 1, dtype=np.int64) + self.max_id("sales", "sale_id")
        world = World(0, now, *[np.zeros(0, np.int64)] * 3, price[1:])
        no = np.zeros(k_sales, dtype=bool)
        sales = facts.sale_rows(
            rng, world, sale_id, buyer, course[:k_sales], enrollment_id[:k_sales],
            sold_at, no, sold_at, rng.choice(managers, k_sales),
        )  # fmt: skip
        sales = sales.set_column(10, "updated_at", ts_array(np.full(k_sales, now)))
        self.src.ingest("sales", sales)
        self.note("sales", "sales_inserted", sale_id, inserted=k_sales)

        times = np.concatenate([reg - rng.integers(30, 300, k_users), visit_t])
        who = np.concatenate([new_users, buyer])
        order = np.argsort(times, kind="stable")
        times, who = times[order], who[order]
        visit_id = np.arange(1, len(times) + 1, dtype=np.int64) + self.max_id(
            "user_traffic", "visit_id"
        )
        sources = facts.pick_sources(rng, len(times))
        visits = facts.visit_rows(
            visit_id, who, times, sources, facts.campaigns(rng, times, sources)
        )
        self.src.ingest("user_traffic", visits)
        self.note("user_traffic", "visits_inserted", visit_id, inserted=len(visit_id))
        self.users_now = np.concatenate([users, new_users])
        self.visits = self.n("user_traffic")

    def deliver_csv(self, csv_dir: Path) -> CsvFile:
        """One more agency file: recent visits by existing users, plus the three bad lines."""
        number, first_id = csvfiles.next_file(csv_dir)
        agency = pools.AGENCIES[(number - 1) % len(pools.AGENCIES)]
        k = max(10, round(self.fraction * self.visits))
        t = np.sort(self.t_now - self.rng.integers(60, 600, k))
        users = self.rng.choice(self.users_now, k)
        sources = facts.pick_sources(self.rng, k, ("paid", "social"))
        ids = np.arange(first_id, first_id + k, dtype=np.int64)
        campaign = facts.campaigns(self.rng, t, sources, f"{agency}_")
        table = facts.visit_rows(ids, users, t, sources, campaign)
        path = csv_dir / f"user_traffic_{agency}_{number}.csv"
        return csvfiles.write(path, agency, number, [table])

    # -- small queries -------------------------------------------------------------------------

    def n(self, table: str) -> int:
        return int(self.src.scalar(f"select count(*) from {table}"))

    def max_id(self, table: str, key: str) -> int:
        return int(self.src.scalar(f"select coalesce(max({key}), 0) from {table}"))

    def cents(self, column: str) -> str:
        return f"cast(round({column} * 100) as bigint)"

    def note(self, table: str, kind: str, ids: np.ndarray, **counts: int) -> None:
        self.details[kind] = [int(i) for i in ids]
        self.count(table, **counts)
