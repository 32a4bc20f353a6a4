"""The event tables: user_traffic visits, enrollments and their sales, generated in chunks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from histar.datagen import pools
from histar.datagen.dims import source_weights, take
from histar.datagen.source import money_array, ts_array
from histar.datagen.world import (
    DAY,
    MANAGERS_PER_REGION,
    REFUND_RATE,
    SALE_SHARE,
    World,
    chunk_bounds,
    n_chunks,
)

Rng = np.random.Generator
CAMPAIGN_CHANNELS = ("paid", "social", "email")
HAS_CAMPAIGN = np.array([channel in CAMPAIGN_CHANNELS for _, channel, _ in pools.TRAFFIC_SOURCES])
DISCOUNT_PCT = np.array([0, 0, 0, 0, 5, 10, 15, 20, 25, 30], dtype=np.int64)


def campaigns(rng: Rng, t: np.ndarray, source_id: np.ndarray, prefix: str = "") -> pa.Array:
    """utm_campaign like ``black_friday_2025``; NULL for organic and referral visits."""
    year = t.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    y0 = int(year.min()) if len(year) else 2000
    n_years = int(year.max()) - y0 + 1 if len(year) else 1
    names = [f"{prefix}{theme}_{y0 + y}" for theme in pools.CAMPAIGN_THEMES for y in range(n_years)]
    theme = rng.integers(0, len(pools.CAMPAIGN_THEMES), len(t))
    values = take(names, theme * n_years + (year - y0))
    with_campaign = pa.array(HAS_CAMPAIGN[source_id - 1])
    return pc.if_else(with_campaign, values, pa.scalar(None, pa.string()))


def visit_rows(
    visit_id: np.ndarray, user_id: np.ndarray, t: np.ndarray, source_id: np.ndarray,
    campaign: pa.Array,
) -> pa.Table:  # fmt: skip
    return pa.table(
        {
            "visit_id": pa.array(visit_id, pa.int64()),
            "user_id": pa.array(user_id, pa.int64()),
            "traffic_source_id": pa.array(source_id, pa.int64()),
            "visited_at": ts_array(t),
            "utm_campaign": campaign,
        }
    )


def pick_sources(rng: Rng, n: int, channels: tuple[str, ...] | None = None) -> np.ndarray:
    weights = source_weights(channels)
    return rng.choice(len(weights), n, p=weights).astype(np.int64) + 1


def visits(rng: Rng, world: World, total: int) -> Iterator[pa.Table]:
    """Visits in time order: each user's first visit shortly before registering, plus
    random visits by already registered users."""
    n_users = len(world.reg)
    first_t = world.reg - rng.integers(30, 3600, n_users)
    order = np.argsort(first_t, kind="stable")
    first_t, first_user = first_t[order], order.astype(np.int64) + 1
    chunks = n_chunks(total - n_users)
    next_id = 1
    for k, (lo, hi) in enumerate(chunk_bounds(total - n_users, chunks)):
        q = (k + np.sort(rng.random(hi - lo))) / chunks
        t = world.time_at(q)
        t_lo = world.time_at(np.array([k / chunks]))[0] if k else np.iinfo(np.int64).min
        t_hi = world.time_at(np.array([(k + 1) / chunks]))[0] if k < chunks - 1 else None
        a = np.searchsorted(first_t, t_lo, side="left")
        b = len(first_t) if t_hi is None else np.searchsorted(first_t, t_hi, side="left")
        times = np.concatenate([t, first_t[a:b]])
        users = np.concatenate([world.pick_users(rng, t), first_user[a:b]])
        order = np.argsort(times, kind="stable")
        times, users = times[order], users[order]
        sources = pick_sources(rng, len(times))
        ids = np.arange(next_id, next_id + len(times), dtype=np.int64)
        next_id += len(times)
        yield visit_rows(ids, users, times, sources, campaigns(rng, times, sources))


def enrollments_and_sales(
    rng: Rng, world: World, total: int
) -> Iterator[tuple[pa.Table, pa.Table]]:
    """Enrollments in time order; most are paid sales (same user, course, moment)."""
    chunks = n_chunks(total)
    next_sale = 1
    for k, (lo, hi) in enumerate(chunk_bounds(total, chunks)):
        n = hi - lo
        t = world.time_at((k + np.sort(rng.random(n))) / chunks)
        user = world.pick_users(rng, t - 900)
        t = np.maximum(t, world.reg[user - 1] + 900)  # enrolled at least 15 min after registering
        course = world.pick_courses(rng, t)
        enrollment_id = np.arange(lo + 1, hi + 1, dtype=np.int64)
        sale = rng.random(n) < SALE_SHARE
        sold_at = t - rng.integers(5, 300, n)
        refund_at = sold_at + rng.integers(3600, 14 * DAY, n)
        refunded = sale & (rng.random(n) < REFUND_RATE) & (refund_at < world.as_of)
        # enrollment progress: older enrollments are more likely completed
        age = (world.as_of - t) / (300 * DAY)
        completed = ~refunded & (rng.random(n) < np.minimum(0.85, age))
        dropped = ~refunded & ~completed & (rng.random(n) < 0.03)
        later = t + (rng.random(n) * (world.as_of - t)).astype(np.int64)
        status = np.where(refunded | dropped, 2, np.where(completed, 1, 0))
        enr_updated = np.where(refunded, refund_at, np.where(completed | dropped, later, t))
        enrollments = pa.table(
            {
                "enrollment_id": pa.array(enrollment_id),
                "user_id": pa.array(user),
                "course_id": pa.array(course),
                "enrolled_at": ts_array(t),
                "status": take(pools.ENROLLMENT_STATUSES, status),
                "updated_at": ts_array(enr_updated),
            }
        )
        s = np.flatnonzero(sale)
        sale_ids = np.arange(next_sale, next_sale + len(s), dtype=np.int64)
        next_sale += len(s)
        yield enrollments, sale_rows(rng, world, sale_ids, user[s], course[s], enrollment_id[s],
                                     sold_at[s], refunded[s], refund_at[s])  # fmt: skip


def sale_rows(
    rng: Rng, world: World, sale_id: np.ndarray, user: np.ndarray, course: np.ndarray,
    enrollment_id: np.ndarray, sold_at: np.ndarray, refunded: np.ndarray, refund_at: np.ndarray,
    manager: np.ndarray | None = None,
) -> pa.Table:  # fmt: skip
    """Sales: list price = course price, 0-30 % discount, refunds pay back what was paid.
    Managers come from the region of the user's country unless given."""
    n = len(sale_id)
    price = world.course_price[course - 1]
    discount = (price * rng.choice(DISCOUNT_PCT, n) + 50) // 100
    if manager is None:
        region = world.user_region[user - 1].astype(np.int64)
        manager = region * MANAGERS_PER_REGION + rng.integers(0, MANAGERS_PER_REGION, n) + 1
    return pa.table(
        {
            "sale_id": pa.array(sale_id, pa.int64()),
            "user_id": pa.array(user, pa.int64()),
            "course_id": pa.array(course, pa.int64()),
            "manager_id": pa.array(manager, pa.int64()),
            "enrollment_id": pa.array(enrollment_id, pa.int64()),
            "sold_at": ts_array(sold_at),
            "list_price": money_array(price),
            "discount": money_array(discount),
            "refunded_amount": money_array(np.where(refunded, price - discount, 0)),
            "status": take(("paid", "refunded"), refunded.astype(np.int64)),
            "updated_at": ts_array(np.where(refunded, refund_at, sold_at)),
        }
    )


def agency_visits(
    rng: Rng, world: World, total: int, first_id: int, t_lo: int, t_hi: int, agency: str
) -> Iterator[pa.Table]:
    """Visits delivered by a marketing agency (paid and social only), ids from ``first_id``."""
    chunks = n_chunks(total)
    for k, (lo, hi) in enumerate(chunk_bounds(total, chunks)):
        q = (k + np.sort(rng.random(hi - lo))) / chunks
        t = t_lo + (q * (t_hi - t_lo)).astype(np.int64)
        users = world.pick_users(rng, t)
        sources = pick_sources(rng, hi - lo, ("paid", "social"))
        ids = np.arange(first_id + lo, first_id + hi, dtype=np.int64)
        yield visit_rows(ids, users, t, sources, campaigns(rng, t, sources, f"{agency}_"))
