"""The small dimension tables: catalogue, sales managers, traffic sources."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from histar.datagen import pools
from histar.datagen.source import money_array, ts_array
from histar.datagen.world import DAY, MANAGERS_PER_REGION

Rng = np.random.Generator


def take(pool: tuple[str, ...] | list[str], idx: np.ndarray) -> pa.Array:
    """Strings from a small pool by index, vectorised."""
    return pa.array(pool, pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def ids(n: int, first: int = 1) -> pa.Array:
    return pa.array(np.arange(first, first + n, dtype=np.int64))


def _edited(rng: Rng, created: np.ndarray, as_of: int, share: float) -> np.ndarray:
    """updated_at: equal to created_at, except a share of rows edited some time later."""
    edited = rng.random(len(created)) < share
    later = created + (rng.random(len(created)) * (as_of - created)).astype(np.int64)
    return np.where(edited, later, created)


def categories(rng: Rng, start: int) -> tuple[pa.Table, pa.Table]:
    n_cat = len(pools.CATALOGUE)
    names = [name for name, _ in pools.CATALOGUE]
    cat_ts = start - (400 + rng.integers(0, 300, n_cat)) * DAY
    cats = pa.table({"category_id": ids(n_cat), "name": names, "updated_at": ts_array(cat_ts)})
    sub_names = [sub for _, subs in pools.CATALOGUE for sub in subs]
    sub_cat = np.array([i + 1 for i, (_, subs) in enumerate(pools.CATALOGUE) for _ in subs])
    sub_ts = start - (300 + rng.integers(0, 300, len(sub_names))) * DAY
    subs = pa.table(
        {
            "subcategory_id": ids(len(sub_names)),
            "category_id": pa.array(sub_cat, pa.int64()),
            "name": sub_names,
            "updated_at": ts_array(sub_ts),
        }
    )
    return cats, subs


def courses(rng: Rng, n: int, start: int, as_of: int) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Courses with unique titles; created_at sorted by course_id (60 % before the window)."""
    n_sub = sum(len(subs) for _, subs in pools.CATALOGUE)
    sub_names = [sub for _, subs in pools.CATALOGUE for sub in subs]
    n_pre, n_suf = len(pools.TITLE_PREFIXES), len(pools.TITLE_SUFFIXES)
    combos = n_sub * n_pre * n_suf
    combo = rng.permutation(combos)[np.arange(n) % combos]
    edition = np.arange(n) // combos
    sub_idx, rest = combo // (n_pre * n_suf), combo % (n_pre * n_suf)
    volume = pc.binary_join_element_wise(" vol. ", pc.cast(pa.array(edition + 1), pa.string()), "")
    title = pc.binary_join_element_wise(
        take(pools.TITLE_PREFIXES, rest // n_suf),
        " ",
        take(sub_names, sub_idx),
        take(pools.TITLE_SUFFIXES, rest % n_suf),
        pc.if_else(pa.array(edition > 0), volume, ""),
        "",
    )
    level = rng.choice(len(pools.LEVELS), n, p=pools.LEVEL_WEIGHTS)
    price_idx = np.clip(level * 3 + rng.integers(0, 5, n), 0, len(pools.PRICE_CENTS) - 1)
    price = np.asarray(pools.PRICE_CENTS, dtype=np.int64)[price_idx]
    q = np.sort(rng.random(n))
    before = 3 * 365 * DAY
    created = np.where(
        q < 0.6,
        start - before + (q / 0.6 * before).astype(np.int64),
        start + ((q - 0.6) / 0.4 * (as_of - start - 30 * DAY)).astype(np.int64),
    )
    created[0] = min(int(created[0]), start - before)
    table = pa.table(
        {
            "course_id": ids(n),
            "subcategory_id": pa.array(sub_idx + 1, pa.int64()),
            "title": title,
            "level": take(pools.LEVELS, level),
            "price": money_array(price),
            "created_at": ts_array(created),
            "updated_at": ts_array(_edited(rng, created, as_of, 0.3)),
        }
    )
    return table, created, price


def sales_managers(rng: Rng, start: int, as_of: int) -> pa.Table:
    """Five managers per region; manager_id - 1 // 5 is the region index at generation time."""
    n = len(pools.REGIONS) * MANAGERS_PER_REGION
    first = rng.integers(0, len(pools.FIRST_NAMES), n)
    last = rng.integers(0, len(pools.LAST_NAMES), n)
    first_s, last_s = take(pools.FIRST_NAMES, first), take(pools.LAST_NAMES, last)
    email = pc.binary_join_element_wise(
        pc.utf8_lower(first_s), ".", pc.utf8_lower(last_s), "@histar-academy.com", ""
    )
    hired = start - rng.integers(30, 5 * 365, n) * DAY - rng.integers(0, DAY, n)
    return pa.table(
        {
            "manager_id": ids(n),
            "first_name": first_s,
            "last_name": last_s,
            "email": email,
            "region": take(pools.REGIONS, np.arange(n) // MANAGERS_PER_REGION),
            "hired_at": ts_array(hired),
            "updated_at": ts_array(_edited(rng, hired, as_of, 0.2)),
        }
    )


def traffic_sources(rng: Rng, start: int) -> pa.Table:
    n = len(pools.TRAFFIC_SOURCES)
    updated = start - rng.integers(10, 500, n) * DAY
    return pa.table(
        {
            "traffic_source_id": ids(n),
            "name": [name for name, _, _ in pools.TRAFFIC_SOURCES],
            "channel": [channel for _, channel, _ in pools.TRAFFIC_SOURCES],
            "updated_at": ts_array(updated),
        }
    )


def source_weights(channels: tuple[str, ...] | None = None) -> np.ndarray:
    """Visit probabilities per traffic source (index = id - 1), optionally only some channels."""
    w = np.array(
        [
            weight if channels is None or channel in channels else 0.0
            for _, channel, weight in pools.TRAFFIC_SOURCES
        ]
    )
    return w / w.sum()
