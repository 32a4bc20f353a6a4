"""Command-line front end shared by `benchmarks/run.py`, `make bench` and `histar bench`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from histar_bench import report
from histar_bench.suite import (
    DEFAULT_PG_ADMIN,
    ENGINES,
    REFERENCE_CONFIGS,
    RESULTS_DIR,
    Options,
    main_run,
    scaling_run,
)


def parse_rows(text: str) -> int:
    """`1000000`, `1_000_000`, `1M`, `200k`."""
    t = text.strip().replace("_", "").lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if mult > 1 else t) * mult)


def parse_list(text: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    items = tuple(i.strip() for i in text.split(",") if i.strip() and i.strip() != "none")
    bad = [i for i in items if i not in allowed]
    if bad:
        raise ValueError(f"unknown {bad}; choose from {', '.join(allowed)}")
    return items


def build_options(
    *,
    rows: str = "1M",
    scaling: str = "",
    engines: str = ",".join(ENGINES),
    reference: str = ",".join(REFERENCE_CONFIGS),
    reference_rows: str = "50k",
    reference_connectorx_rows: str = "1M",
    changes: float = 0.001,
    dashboard_runs: int = 5,
    seed: int = 42,
    pg_url: str | None = None,
    results_dir: Path | None = None,
    work_dir: Path | None = None,
    keep: bool = False,
) -> Options:
    return Options(
        rows=parse_rows(rows),
        seed=seed,
        engines=parse_list(engines, ENGINES),
        changes=changes,
        dashboard_runs=dashboard_runs,
        reference=parse_list(reference, REFERENCE_CONFIGS),
        reference_rows=parse_rows(reference_rows),
        reference_connectorx_rows=parse_rows(reference_connectorx_rows),
        pg_admin_url=pg_url or os.environ.get("HISTAR_BENCH_PG_URL") or DEFAULT_PG_ADMIN,
        results_dir=results_dir or RESULTS_DIR,
        work_dir=work_dir,
        keep=keep,
        scaling=[parse_rows(s) for s in scaling.split(",") if s.strip()],
    )


def run(opts: Options) -> Path:
    if opts.scaling:
        doc, path = scaling_run(opts)
        report.print_scaling(doc, path)
    else:
        doc, path = main_run(opts)
        report.print_main(doc, path)
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench", description=__doc__)
    p.add_argument("--rows", default="1M", help="total source rows to generate (1M, 200k, …)")
    p.add_argument(
        "--scaling",
        default="",
        help="e.g. 1M,4M,16M: DuckDB full + incremental at each size instead of the main run",
    )
    p.add_argument("--engines", default=",".join(ENGINES), help="warehouses: duckdb,postgres")
    p.add_argument(
        "--reference",
        default=",".join(REFERENCE_CONFIGS),
        help="dlt configurations: default,connectorx or none",
    )
    p.add_argument(
        "--reference-rows",
        default="50k",
        help="cap for the default dlt path (it runs at a few k rows/s)",
    )
    p.add_argument(
        "--reference-connectorx-rows", default="1M", help="cap for the connectorx dlt configuration"
    )
    p.add_argument(
        "--changes", type=float, default=0.001, help="fraction changed before the incremental batch"
    )
    p.add_argument("--dashboard-runs", type=int, default=5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--pg-url",
        default=None,
        help="PostgreSQL admin URL (default: HISTAR_BENCH_PG_URL "
        f"or {DEFAULT_PG_ADMIN}); databases histar_bench_* are created there",
    )
    p.add_argument("--results-dir", type=Path, default=None)
    p.add_argument("--work-dir", type=Path, default=None)
    p.add_argument("--keep", action="store_true", help="keep the work folder and databases")
    a = p.parse_args(argv)
    try:
        opts = build_options(
            rows=a.rows,
            scaling=a.scaling,
            engines=a.engines,
            reference=a.reference,
            reference_rows=a.reference_rows,
            reference_connectorx_rows=a.reference_connectorx_rows,
            changes=a.changes,
            dashboard_runs=a.dashboard_runs,
            seed=a.seed,
            pg_url=a.pg_url,
            results_dir=a.results_dir,
            work_dir=a.work_dir,
            keep=a.keep,
        )
    except ValueError as exc:
        p.error(str(exc))
    run(opts)
    return 0
