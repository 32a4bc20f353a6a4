"""Users: registration times and countries for the whole population, rows built in chunks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from histar.datagen import pools
from histar.datagen.dims import take
from histar.datagen.source import ts_array
from histar.datagen.world import World, chunk_bounds, n_chunks

Rng = np.random.Generator

COUNTRY_NAMES = tuple(name for name, _, _, _ in pools.COUNTRIES)
COUNTRY_REGION = np.array([region for _, region, _, _ in pools.COUNTRIES], dtype=np.int8)
CITY_NAMES = tuple(city for _, _, cities, _ in pools.COUNTRIES for city in cities)
CITY_COUNT = np.array([len(cities) for _, _, cities, _ in pools.COUNTRIES], dtype=np.int64)
CITY_OFFSET = np.concatenate([[0], np.cumsum(CITY_COUNT)[:-1]])
COUNTRY_WEIGHTS = np.array([w for _, _, _, w in pools.COUNTRIES]) / sum(
    w for _, _, _, w in pools.COUNTRIES
)


def population(rng: Rng, n: int, world: World) -> tuple[np.ndarray, np.ndarray]:
    """Sorted registration times (the first user at the window start) and country indexes."""
    reg = world.time_at(np.sort(rng.random(n)))
    reg[0] = world.start
    country = rng.choice(len(COUNTRY_NAMES), n, p=COUNTRY_WEIGHTS).astype(np.int8)
    return reg, country


def cities(rng: Rng, country: np.ndarray) -> pa.Array:
    """A city of each row's country."""
    country = country.astype(np.int64)
    pick = (rng.random(len(country)) * CITY_COUNT[country]).astype(np.int64)
    return take(CITY_NAMES, CITY_OFFSET[country] + pick)


def emails(rng: Rng, first: pa.Array, last: pa.Array, user_id: np.ndarray) -> pa.Array:
    domain = take(pools.EMAIL_DOMAINS, rng.integers(0, len(pools.EMAIL_DOMAINS), len(user_id)))
    return pc.binary_join_element_wise(
        pc.utf8_lower(first),
        ".",
        pc.utf8_lower(last),
        pc.cast(pa.array(user_id), pa.string()),
        "@",
        domain,
        "",
    )


def user_rows(
    rng: Rng, user_id: np.ndarray, reg: np.ndarray, country: np.ndarray, updated: np.ndarray
) -> pa.Table:
    n = len(user_id)
    first = take(pools.FIRST_NAMES, rng.integers(0, len(pools.FIRST_NAMES), n))
    last = take(pools.LAST_NAMES, rng.integers(0, len(pools.LAST_NAMES), n))
    return pa.table(
        {
            "user_id": pa.array(user_id, pa.int64()),
            "first_name": first,
            "last_name": last,
            "email": emails(rng, first, last, user_id),
            "country": take(COUNTRY_NAMES, country.astype(np.int64)),
            "city": cities(rng, country),
            "registered_at": ts_array(reg),
            "updated_at": ts_array(updated),
        }
    )


def users(rng: Rng, world: World, country: np.ndarray) -> Iterator[pa.Table]:
    """The users table in chunks; 15 % of profiles were edited after registration."""
    total = len(world.reg)
    for lo, hi in chunk_bounds(total, n_chunks(total)):
        reg = world.reg[lo:hi]
        edited = rng.random(hi - lo) < 0.15
        later = reg + (rng.random(hi - lo) * (world.as_of - reg)).astype(np.int64)
        updated = np.where(edited, later, reg)
        ids = np.arange(lo + 1, hi + 1, dtype=np.int64)
        yield user_rows(rng, ids, reg, country[lo:hi], updated)


def changed_emails(
    rng: Rng, first: pa.Array, last: pa.Array, email: pa.Array, user_id: np.ndarray
) -> pa.Array:
    """New addresses that always differ from the old ones: another domain (and separator)."""
    n = len(user_id)
    n_dom = len(pools.EMAIL_DOMAINS)
    old_domain = pc.struct_field(pc.extract_regex(email, r"@(?P<d>.*)$"), "d")
    old = pc.fill_null(pc.index_in(old_domain, value_set=pa.array(pools.EMAIL_DOMAINS)), 0)
    new = (np.asarray(old.to_numpy(zero_copy_only=False)) + rng.integers(1, n_dom, n)) % n_dom
    dotted = pc.match_substring_regex(email, r"^[^@]*\.[^@]*@")
    return pc.binary_join_element_wise(
        pc.utf8_lower(first),
        pc.if_else(dotted, "_", "."),
        pc.utf8_lower(last),
        pc.cast(pa.array(user_id), pa.string()),
        "@",
        take(pools.EMAIL_DOMAINS, new),
        "",
    )
