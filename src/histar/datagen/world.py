"""Sizes, the time line and the small arrays every table generator shares."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from histar.datagen import pools

DAY = 86_400
WINDOW_DAYS = 730
CHUNK_ROWS = 1_000_000
SALE_SHARE = 0.9  # share of enrollments that are paid sales
REFUND_RATE = 0.04
MANAGERS_PER_REGION = 5
CSV_FILES_AT_GENERATE = 2


def epoch(moment: datetime) -> int:
    """Epoch seconds (whole); naive datetimes are taken as UTC wall clock."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return int((moment - datetime(1970, 1, 1)).total_seconds())


@dataclass(frozen=True)
class Sizes:
    categories: int
    subcategories: int
    courses: int
    sales_managers: int
    traffic_sources: int
    users: int
    user_traffic: int
    enrollments: int
    csv_rows_per_file: int

    @classmethod
    def for_rows(cls, rows: int) -> Sizes:
        if rows < 1_000:
            raise ValueError("rows must be at least 1000")
        subcats = sum(len(subs) for _, subs in pools.CATALOGUE)
        dims = (
            len(pools.CATALOGUE)
            + subcats
            + max(50, rows // 2000)
            + len(pools.REGIONS) * MANAGERS_PER_REGION
            + len(pools.TRAFFIC_SOURCES)
        )
        users = round(rows * 0.06)
        enrollments = round(rows * 0.19)
        csv_per_file = round(rows * 0.04)
        expected_sales = round(enrollments * SALE_SHARE)
        traffic = rows - dims - users - enrollments - expected_sales - 2 * csv_per_file
        return cls(
            categories=len(pools.CATALOGUE),
            subcategories=subcats,
            courses=max(50, rows // 2000),
            sales_managers=len(pools.REGIONS) * MANAGERS_PER_REGION,
            traffic_sources=len(pools.TRAFFIC_SOURCES),
            users=users,
            user_traffic=max(traffic, users * 2),
            enrollments=enrollments,
            csv_rows_per_file=csv_per_file,
        )


def n_chunks(total: int) -> int:
    return max(1, math.ceil(total / CHUNK_ROWS))


def chunk_bounds(total: int, chunks: int) -> list[tuple[int, int]]:
    edges = np.linspace(0, total, chunks + 1).round().astype(np.int64)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges)]


@dataclass
class World:
    """The time window plus per-user and per-course arrays the fact generators need."""

    start: int  # epoch seconds, as_of - 730 days
    as_of: int
    reg: np.ndarray  # users' registered_at, sorted (user_id = index + 1)
    user_region: np.ndarray  # region index of each user's country
    course_created: np.ndarray  # courses' created_at, sorted (course_id = index + 1)
    course_price: np.ndarray  # cents

    @property
    def span(self) -> int:
        return self.as_of - self.start

    def time_at(self, q: np.ndarray) -> np.ndarray:
        """Map quantiles in [0, 1) to epoch seconds; activity grows linearly over the window."""
        x = np.sqrt(0.25 + 2.0 * q) - 0.5  # inverse CDF of density 0.5 + x on [0, 1]
        return self.start + np.floor(x * (self.span - 1)).astype(np.int64)

    def users_before(self, t: np.ndarray) -> np.ndarray:
        """How many users registered at or before each moment (>= 1)."""
        return np.maximum(np.searchsorted(self.reg, t, side="right"), 1)

    def pick_users(self, rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
        """Random user ids among those registered at or before ``t``."""
        return (rng.random(len(t)) * self.users_before(t)).astype(np.int64) + 1

    def pick_courses(self, rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
        """Course ids among those created before ``t``, older courses being more popular."""
        available = np.maximum(np.searchsorted(self.course_created, t, side="right"), 1)
        return (rng.random(len(t)) ** 1.5 * available).astype(np.int64) + 1
