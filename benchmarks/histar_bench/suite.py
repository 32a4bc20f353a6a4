"""The benchmark: generate the school dataset, run histar batches and the dlt reference,
write one JSON file per run and print a short table.

Every measured run (a histar batch, a dashboard round, a dlt pipeline) happens in its own
spawned child process (`child.run_in_child`), so its peak memory is its own.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from histar_bench import child, machine

SCHEMA_VERSION = 1
STEPS = ("extract", "history", "star", "publish")
BATCHES = ("full", "incremental", "noop")
ENGINES = ("duckdb", "postgres")
REFERENCE_CONFIGS = ("default", "connectorx")
DEFAULT_PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
RESULTS_DIR = Path(__file__).resolve().parents[1] / "results"

Log = Callable[[str], None]


@dataclass
class Options:
    rows: int = 1_000_000
    seed: int = 42
    engines: tuple[str, ...] = ENGINES
    changes: float = 0.001
    dashboard_runs: int = 5
    # dlt reference configurations and the most source rows each one is run on: above that,
    # it runs on a separately generated sample of that size (same generator and seed)
    reference: tuple[str, ...] = REFERENCE_CONFIGS
    reference_rows: int = 50_000
    reference_connectorx_rows: int = 1_000_000
    pg_admin_url: str = DEFAULT_PG_ADMIN
    results_dir: Path = RESULTS_DIR
    work_dir: Path | None = None
    keep: bool = False
    scaling: list[int] = field(default_factory=list)

    def reference_cap(self, config: str) -> int:
        return self.reference_rows if config == "default" else self.reference_connectorx_rows


def scale_label(rows: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if rows >= size and rows % size == 0:
            return f"{rows // size}{unit}"
    if rows >= 1_000_000:
        return f"{rows / 1_000_000:.1f}M"
    return str(rows)


def _now() -> str:
    return datetime.now().strftime("%H:%M:%S")


def _print(message: str) -> None:
    print(f"{_now()} {message}", flush=True)


# --------------------------------------------------------------------------- databases


class PgDatabases:
    """Creates `histar_bench_*` databases on the admin URL's server and drops them at exit."""

    def __init__(self, admin_url: str, tag: str, keep: bool) -> None:
        self.admin_url, self.tag, self.keep = admin_url, tag, keep
        self.names: list[str] = []

    def url(self, name: str) -> str:
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{name}"

    def create(self, role: str) -> str:
        import psycopg

        name = f"histar_bench_{self.tag}_{role}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')
            conn.execute(f'create database "{name}"')
        self.names.append(name)
        return self.url(name)

    def drop(self, url: str) -> None:
        import psycopg

        name = url.rpartition("/")[2]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')
        if name in self.names:
            self.names.remove(name)

    def close(self) -> None:
        if self.keep:
            return
        for name in list(self.names):
            with contextlib.suppress(Exception):
                self.drop(self.url(name))


@contextlib.contextmanager
def workspace(opts: Options, tag: str) -> Iterator[tuple[Path, PgDatabases]]:
    work = opts.work_dir or Path(tempfile.mkdtemp(prefix=f"histar-bench-{tag}-"))
    work.mkdir(parents=True, exist_ok=True)
    dbs = PgDatabases(opts.pg_admin_url, tag, opts.keep)
    try:
        yield work, dbs
    finally:
        dbs.close()
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- projects


def make_project(folder: Path, warehouse_url: str, source_url: str, csv_dir: Path, rows: int):
    from histar.config import load_config, write_default_project

    write_default_project(folder, warehouse_url=warehouse_url, source_url=source_url, rows=rows)
    (folder / "data").mkdir(exist_ok=True)
    link = folder / "data" / "csv"
    if not link.exists():
        link.symlink_to(csv_dir.resolve(), target_is_directory=True)
    return load_config(folder)


def generate_source(url: str, csv_dir: Path, rows: int, seed: int) -> dict[str, Any]:
    from histar.datagen import generate

    t0 = time.perf_counter()
    res = generate(url, csv_dir, rows=rows, seed=seed)
    return {
        "rows": rows,
        "tables": res.tables,
        "table_rows": res.table_rows,
        "csv_rows": res.csv_rows,
        "source_rows": res.total_rows,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def change_source(url: str, csv_dir: Path, fraction: float, seed: int) -> dict[str, Any]:
    from histar.datagen import apply_changes

    t0 = time.perf_counter()
    res = apply_changes(url, csv_dir, fraction=fraction, seed=seed)
    return {
        "fraction": fraction,
        "changes": {t: asdict(c) for t, c in res.changes.items()},
        "seconds": round(time.perf_counter() - t0, 2),
    }


def warehouse_size_mb(config: Any) -> float | None:
    from histar.warehouse.connection import dialect_of, duckdb_path

    if dialect_of(config.warehouse.url) != "duckdb":
        return None
    path = duckdb_path(config.warehouse.url, config.project_dir)
    return round(path.stat().st_size / 2**20, 1) if path.exists() else None


def _rate(rows: int, seconds: float) -> float | None:
    return round(rows / seconds, 1) if seconds > 0 else None


def summarize_batch(engine: str, batch: str, job: dict[str, Any]) -> dict[str, Any]:
    rows = sum(t["rows_read"] for t in job["tables"])
    steps_total = sum(job["step_seconds"].get(s, 0.0) for s in STEPS)
    seconds = job["wall_seconds"]  # the whole run_batch call, begin (lock, file copy) included
    steps = {
        s: {
            "seconds": job["step_seconds"].get(s),
            "rows_per_s": _rate(rows, job["step_seconds"].get(s, 0.0)),
            "peak_rss_mb": job["step_peak_rss_mb"].get(s),
        }
        for s in STEPS
    }
    return {
        "engine": engine,
        "batch": batch,
        "batch_id": job["batch_id"],
        "source_rows_read": rows,
        "seconds": seconds,
        # begin(): lock, next batch id and, on DuckDB incremental, the copy of the published file
        "begin_seconds": round(max(seconds - steps_total, 0.0), 3),
        "rows_per_s": _rate(rows, seconds),
        "peak_rss_mb": job["peak_rss_mb"],
        "inserted": sum(t["inserted"] for t in job["tables"]),
        "closed": sum(t["closed"] for t in job["tables"]),
        "steps": steps,
        "tables": job["tables"],
        "dbt_nodes": job["dbt_nodes"],
        "per_step_peak_reset": job["per_step_peak_reset"],
    }


def run_batch(engine: str, batch: str, config: Any, log: Log) -> dict[str, Any]:
    log(f"{engine}: {batch} batch …")
    job = child.run_in_child(child.batch_job, str(config.project_dir), batch == "full")
    out = summarize_batch(engine, batch, job)
    out["warehouse_size_mb"] = warehouse_size_mb(config)
    log(
        f"{engine}: {batch} batch {out['seconds']:.1f} s, {out['source_rows_read']:,} rows read, "
        f"peak {out['peak_rss_mb']:.0f} MiB"
    )
    return out


# --------------------------------------------------------------------------- reference


def run_reference(
    opts: Options, work: Path, dbs: PgDatabases, main_url: str, main_gen: dict[str, Any], log: Log
) -> list[dict[str, Any]]:
    from histar.datagen import TABLES

    tables = [t.name for t in TABLES]
    samples: dict[int, tuple[str, dict[str, Any]]] = {}
    out = []
    for config in opts.reference:
        cap = opts.reference_cap(config)
        if main_gen["rows"] <= cap:
            url, gen, on = main_url, main_gen, "main source"
        else:
            if cap not in samples:
                log(f"reference: generating a {scale_label(cap)}-row sample source …")
                sample_url = dbs.create(f"ref{cap}")
                samples[cap] = (
                    sample_url,
                    generate_source(sample_url, work / f"ref{cap}_csv", cap, opts.seed),
                )
            url, gen = samples[cap]
            on = f"sample of {scale_label(cap)} rows (cap for this configuration)"
        log(f"reference: dlt scd2 ({config}) on {gen['table_rows']:,} database rows …")
        dest = work / f"dlt_{config}"
        job = child.run_in_child(child.dlt_job, config, url, tables, str(dest))
        shutil.rmtree(dest, ignore_errors=True)
        rows = gen["table_rows"]
        job.update(
            {
                "source": on,
                "rows": gen["rows"],
                "source_rows_read": rows,
                "rows_per_s": _rate(rows, job["wall_seconds"]),
            }
        )
        log(
            f"reference: dlt scd2 ({config}) {job['wall_seconds']:.1f} s, "
            f"{job['rows_per_s']:,.0f} rows/s, peak {job['peak_rss_mb']:.0f} MiB"
        )
        out.append(job)
    for url, _ in samples.values():
        dbs.drop(url)
    return out


def ratios(runs: list[dict[str, Any]], reference: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    full = {r["engine"]: r for r in runs if r["batch"] == "full"}
    for ref in reference:
        if not ref.get("rows_per_s"):
            continue
        for engine, r in full.items():
            key = f"{engine}_full_vs_dlt_{ref['config']}"
            out[key] = round(r["rows_per_s"] / ref["rows_per_s"], 2)
            eh = (r["steps"]["extract"]["seconds"] or 0) + (r["steps"]["history"]["seconds"] or 0)
            if eh > 0:
                out[f"{engine}_extract_history_vs_dlt_{ref['config']}"] = round(
                    r["source_rows_read"] / eh / ref["rows_per_s"], 2
                )
    return out


# --------------------------------------------------------------------------- dashboards


def run_dashboards(opts: Options, configs: dict[str, Any], log: Log) -> dict[str, Any]:
    why = child.dashboards_available()
    if why:
        log(f"dashboards: skipped ({why})")
        return {"skipped": why}
    out: dict[str, Any] = {}
    for engine, config in configs.items():
        log(f"{engine}: dashboard queries ({opts.dashboard_runs} runs each) …")
        try:
            out[engine] = child.run_in_child(
                child.dashboards_job, str(config.project_dir), opts.dashboard_runs
            )
        except child.JobFailed as exc:
            log(f"{engine}: dashboards failed: {str(exc).splitlines()[0]}")
            out[engine] = {"error": str(exc)}
    return out


# --------------------------------------------------------------------------- the runs


def header(opts: Options, kind: str) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine.machine(),
        "versions": machine.versions(opts.pg_admin_url),
        "options": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in asdict(opts).items()
            if k not in ("pg_admin_url",)
        },
        "notes": [],
    }


def main_run(opts: Options, log: Log = _print) -> tuple[dict[str, Any], Path]:
    """Full, incremental and no-op batch per engine, dlt reference, dashboards."""
    tag = uuid.uuid4().hex[:8]
    doc = header(opts, "main")
    t_start = time.perf_counter()
    with workspace(opts, tag) as (work, dbs):
        src = dbs.create("src")
        csv_dir = work / "csv"
        log(f"generating {opts.rows:,} source rows into PostgreSQL …")
        gen = generate_source(src, csv_dir, opts.rows, opts.seed)
        doc["scale"] = gen
        log(f"generated {gen['source_rows']:,} rows in {gen['seconds']:.0f} s")
        configs = {}
        for engine in opts.engines:
            url = "duckdb:///histar.duckdb" if engine == "duckdb" else dbs.create("wh")
            configs[engine] = make_project(work / engine, url, src, csv_dir, opts.rows)

        runs = [run_batch(e, "full", c, log) for e, c in configs.items()]
        doc["reference"] = run_reference(opts, work, dbs, src, gen, log) if opts.reference else []
        doc["changes"] = change_source(src, csv_dir, opts.changes, opts.seed + 1)
        runs += [run_batch(e, "incremental", c, log) for e, c in configs.items()]
        runs += [run_batch(e, "noop", c, log) for e, c in configs.items()]
        doc["runs"] = runs
        doc["dashboards"] = run_dashboards(opts, configs, log)
    doc["ratios"] = ratios(runs, doc["reference"])
    doc["notes"] += [
        "seconds = the whole run_batch call; steps from BatchResult.step_seconds; begin_seconds "
        "= the rest (lock, ops, copy of the published DuckDB file); rows_per_s = source rows "
        "read by the batch (database tables + CSV rows) / seconds, per step as well",
        "peak_rss_mb = the child process's VmHWM (dbt runs in-process); a PostgreSQL "
        "warehouse server's memory is not included",
        "dlt reference: database tables only (dlt reads no CSV files); its rows_per_s is the "
        "whole pipeline.run (extract + normalize + load + scd2 merge) on a full extract",
    ]
    doc["load_average_end"] = machine.load_average()
    doc["total_seconds"] = round(time.perf_counter() - t_start, 1)
    return doc, write(doc, opts, scale_label(opts.rows))


def scaling_run(opts: Options, log: Log = _print) -> tuple[dict[str, Any], Path]:
    """DuckDB full + incremental (+ no-op) at each size in opts.scaling."""
    tag = uuid.uuid4().hex[:8]
    doc = header(opts, "scaling")
    doc["sizes"] = []
    t_start = time.perf_counter()
    with workspace(opts, tag) as (work, dbs):
        for rows in opts.scaling:
            size_dir = work / scale_label(rows)
            src = dbs.create(f"src{scale_label(rows).lower()}")
            log(f"scaling {scale_label(rows)}: generating …")
            gen = generate_source(src, size_dir / "csv", rows, opts.seed)
            n, s = gen["source_rows"], gen["seconds"]
            log(f"scaling {scale_label(rows)}: {n:,} rows in {s:.0f} s")
            config = make_project(
                size_dir / "duckdb", "duckdb:///histar.duckdb", src, size_dir / "csv", rows
            )
            runs = [run_batch("duckdb", "full", config, log)]
            changes = change_source(src, size_dir / "csv", opts.changes, opts.seed + 1)
            runs.append(run_batch("duckdb", "incremental", config, log))
            runs.append(run_batch("duckdb", "noop", config, log))
            doc["sizes"].append({"scale": gen, "changes": changes, "runs": runs})
            dbs.drop(src)
            if not opts.keep:
                shutil.rmtree(size_dir, ignore_errors=True)
    doc["load_average_end"] = machine.load_average()
    doc["total_seconds"] = round(time.perf_counter() - t_start, 1)
    label = "scaling-" + "_".join(scale_label(r) for r in opts.scaling)
    return doc, write(doc, opts, label)


def write(doc: dict[str, Any], opts: Options, label: str) -> Path:
    opts.results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    path = opts.results_dir / f"{stamp}-{label}.json"
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    return path
