"""generate(): a fresh source database and agency CSV files for the online-course business."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from histar.datagen import csvfiles, dims, facts, people, pools
from histar.datagen.results import CsvFile, GenerateResult
from histar.datagen.schema import TABLES, TABLES_BY_NAME
from histar.datagen.source import Source, connect
from histar.datagen.world import CSV_FILES_AT_GENERATE, DAY, WINDOW_DAYS, Sizes, World, epoch

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]


def generate(
    source_url: str,
    csv_dir: Path,
    *,
    rows: int = 20_000,
    seed: int = 42,
    as_of: datetime = datetime(2026, 1, 1),
    progress: Progress | None = None,
) -> GenerateResult:
    """Create (replace) the nine source tables and two agency CSV files, about ``rows`` in all.

    Deterministic: the same seed, rows and as_of give identical data on every backend.
    ``progress(table, rows_written_so_far)`` is called after every chunk.
    """
    began = time.perf_counter()
    sizes = Sizes.for_rows(rows)
    end = epoch(as_of.replace(microsecond=0))
    start = end - WINDOW_DAYS * DAY
    rng = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    log.info("generating about %d rows (seed %d, as of %s) into %s", rows, seed, as_of, csv_dir)

    categories, subcategories = dims.categories(rng[0], start)
    courses, created, price = dims.courses(rng[1], sizes.courses, start, end)
    reg, country = people.population(rng[3], sizes.users, World(start, end, *_empty(4)))
    world = World(start, end, reg, people.COUNTRY_REGION[country], created, price)

    counts: dict[str, int] = {}
    with connect(source_url, fresh=True) as src:
        for table in TABLES:
            src.create_table(table, primary_key=src.dialect == "sqlite", cascade=True)
        load = _Loader(src, counts, progress)
        load("categories", [categories])
        load("subcategories", [subcategories])
        load("courses", [courses])
        load("sales_managers", [dims.sales_managers(rng[2], start, end)])
        load("traffic_sources", [dims.traffic_sources(rng[0], start)])
        load("users", people.users(rng[4], world, country))
        load("user_traffic", facts.visits(rng[5], world, sizes.user_traffic))
        sales: list[pa.Table] = []
        for enrollments, sale in facts.enrollments_and_sales(rng[6], world, sizes.enrollments):
            load("enrollments", [enrollments])
            sales.append(sale)
            if sum(len(s) for s in sales) >= 500_000:
                load("sales", sales)
                sales = []
        load("sales", sales)
        if src.dialect != "sqlite":
            for table in TABLES:
                src.add_primary_key(table)
        src.commit()
        if src.dialect != "sqlite":
            src.execute("analyze")
            src.commit()

    files = _write_csv_files(rng[7], world, Path(csv_dir), sizes.csv_rows_per_file)
    result = GenerateResult(
        tables=counts,
        csv_files=files,
        seconds=time.perf_counter() - began,
        seed=seed,
        as_of=as_of,
    )
    log.info(
        "generated %d table rows and %d CSV rows in %.1f s",
        result.table_rows,
        result.csv_rows,
        result.seconds,
    )
    return result


def _empty(n: int) -> list[np.ndarray]:
    return [np.zeros(0, dtype=np.int64) for _ in range(n)]


class _Loader:
    """Appends Arrow chunks to a source table, counting rows and reporting progress."""

    def __init__(self, src: Source, counts: dict[str, int], progress: Progress | None) -> None:
        self.src, self.counts, self.progress = src, counts, progress

    def __call__(self, name: str, chunks: Iterable[pa.Table]) -> None:
        columns = TABLES_BY_NAME[name].column_names
        self.counts.setdefault(name, 0)
        for chunk in chunks:
            if not len(chunk):
                continue
            self.src.ingest(name, chunk.select(columns))
            self.counts[name] += len(chunk)
            log.debug("%s: %d rows", name, self.counts[name])
            if self.progress is not None:
                self.progress(name, self.counts[name])


def _write_csv_files(
    rng: np.random.Generator, world: World, csv_dir: Path, per_file: int
) -> list[CsvFile]:
    """Replace the agency deliveries: file k covers the k-th part of the window."""
    for _, old in csvfiles.existing(csv_dir):
        old.unlink()
    files: list[CsvFile] = []
    edges = np.linspace(world.start, world.as_of, CSV_FILES_AT_GENERATE + 1).astype(np.int64)
    _, next_id = csvfiles.next_file(csv_dir)
    for k in range(CSV_FILES_AT_GENERATE):
        agency = pools.AGENCIES[k % len(pools.AGENCIES)]
        path = csv_dir / f"user_traffic_{agency}_{k + 1}.csv"
        chunks = facts.agency_visits(
            rng, world, per_file, next_id, int(edges[k]), int(edges[k + 1]), agency
        )
        written = csvfiles.write(path, agency, k + 1, chunks)
        files.append(written)
        next_id = written.last_visit_id + 1
    return files
