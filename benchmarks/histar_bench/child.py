"""Jobs that run in a fresh (spawned) child process, so memory figures are per run.

Every job returns a plain dict (JSON-ready). Peak resident memory is read from
``/proc/self/status`` (VmHWM); between the steps of a batch the high-water mark is reset
by writing ``5`` to ``/proc/self/clear_refs``, so each step reports its own peak. dbt runs
in-process (``dbtRunner``), so the child's figure includes it; a PostgreSQL warehouse's
own server memory is *not* included (it is another process).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import re
import resource
import statistics
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

_DBT_NODE = re.compile(r"dbt (\w+) (\S+): (\w+) in ([0-9.]+)s")


def _status_kb(field: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    m = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) if m else None


def peak_rss_mb() -> float:
    """This process's peak RSS since start (or since the last reset), in MiB."""
    kb = _status_kb("VmHWM")
    if kb is None:  # not Linux: ru_maxrss is KiB on Linux, bytes on macOS
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / 1024, 1)


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def children_peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


# --------------------------------------------------------------------------- histar batch


class _DbtNodes(logging.Handler):
    """Collects the per-node lines histar.transform.runner logs for each finished dbt node."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.nodes: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        m = _DBT_NODE.match(record.getMessage())
        if m:
            self.nodes.append(
                {
                    "type": m.group(1),
                    "name": m.group(2),
                    "status": m.group(3),
                    "seconds": float(m.group(4)),
                }
            )


def batch_job(project_dir: str, full: bool) -> dict[str, Any]:
    """One histar batch (`run_batch`) with per-step seconds and peak memory."""
    from histar.config import load_config
    from histar.pipeline import run_batch

    config = load_config(Path(project_dir))
    handler = _DbtNodes()
    runner_log = logging.getLogger("histar.transform.runner")
    runner_log.addHandler(handler)
    runner_log.setLevel(logging.INFO)
    runner_log.propagate = False  # collected here, not printed

    baseline = peak_rss_mb()
    step_peak: dict[str, float] = {}
    extract_s: dict[tuple[str, int], float] = {}
    resets = True

    def progress(event: str, data: dict[str, Any]) -> None:
        nonlocal resets
        if event == "step_started":
            resets = reset_peak() and resets
        elif event == "step_finished":
            step_peak[data["step"]] = peak_rss_mb()
        elif event == "table_extracted":
            s = data["stats"]
            extract_s[(s.table, s.source_id)] = s.seconds

    t0 = time.perf_counter()
    result = run_batch(config, full=full, progress=progress)
    wall = time.perf_counter() - t0
    tables = []
    for s in result.tables:
        ex = extract_s.get((s.table, s.source_id), s.seconds)
        tables.append(
            {
                "table": s.table,
                "source_id": s.source_id,
                "mode": s.mode,
                "rows_read": s.rows_read,
                "rows_loaded": s.rows_loaded,
                "rows_rejected": s.rows_rejected,
                "inserted": s.inserted,
                "closed": s.closed,
                "extract_seconds": round(ex, 3),
                "history_seconds": round(max(s.seconds - ex, 0.0), 3),
            }
        )
    return {
        "batch_id": result.batch_id,
        "kind": result.kind,
        "status": result.status,
        "wall_seconds": round(wall, 3),
        "step_seconds": {k: round(v, 3) for k, v in result.step_seconds.items()},
        "step_peak_rss_mb": step_peak,
        "peak_rss_mb": max([baseline, *step_peak.values()]),
        "children_peak_rss_mb": children_peak_mb(),
        "per_step_peak_reset": resets,
        "tables": tables,
        "dbt_nodes": handler.nodes,
    }


# --------------------------------------------------------------------------- dashboards


def _dashboard_api() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """(load_dashboards, load_data), from `histar.dashboards` or its submodules."""
    import importlib

    pkg = importlib.import_module("histar.dashboards")
    load_dashboards = getattr(pkg, "load_dashboards", None)
    query = getattr(pkg, "load_data", None) or getattr(pkg, "query_dashboard", None)
    if load_dashboards is None:
        load_dashboards = importlib.import_module("histar.dashboards.definitions").load_dashboards
    if query is None:
        query = importlib.import_module("histar.dashboards.data").load_data
    return load_dashboards, query


def dashboards_available() -> str | None:
    """None when the dashboard stage can run, else why not."""
    try:
        _dashboard_api()
    except Exception as exc:
        return f"histar.dashboards not usable: {type(exc).__name__}: {exc}"
    return None


def _pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def dashboards_job(project_dir: str, runs: int) -> dict[str, Any]:
    """Every shipped dashboard, all tiles with default filters: a cold run, then `runs` more."""
    from histar.config import load_config

    load_dashboards, query = _dashboard_api()
    config = load_config(Path(project_dir))
    out = []
    for d in load_dashboards(config):
        times = []
        t0 = time.perf_counter()
        data = query(config, d)
        cold = time.perf_counter() - t0
        for _ in range(runs):
            t0 = time.perf_counter()
            query(config, d)
            times.append(time.perf_counter() - t0)
        tiles = getattr(data, "tables", {}) or {}
        out.append(
            {
                "dashboard": d.name,
                "tiles": len(tiles),
                "rows": sum(getattr(t, "num_rows", 0) for t in tiles.values()),
                "cold_seconds": round(cold, 4),
                "runs": runs,
                "p50_seconds": round(_pct(times, 50), 4),
                "p95_seconds": round(_pct(times, 95), 4),
            }
        )
    return {"dashboards": out, "peak_rss_mb": peak_rss_mb()}


# --------------------------------------------------------------------------- dlt reference


def dlt_job(config_name: str, source_url: str, tables: list[str], work_dir: str) -> dict[str, Any]:
    """dlt `sql_database` → DuckDB with `merge`/`scd2`, as configured by `config_name`:

    - ``default``: what most dlt users write (sqlalchemy backend, dlt's default loader format);
    - ``connectorx``: the fast configuration from the shared notes (connectorx backend, a
      content hash from ``add_row_hash_to_table`` declared as ``row_version_column_name``).
    """
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
    import dlt
    from dlt.sources.sql_database import sql_database

    logging.getLogger("dlt").setLevel(logging.ERROR)

    work = Path(work_dir)
    disposition: dict[str, Any] = {"disposition": "merge", "strategy": "scd2"}
    if config_name == "default":
        source = sql_database(credentials=source_url, table_names=tables)
    elif config_name == "connectorx":
        from dlt.sources.helpers.transform import add_row_hash_to_table

        source = sql_database(credentials=source_url, table_names=tables, backend="connectorx")
        for resource_ in source.resources.values():
            resource_.add_map(add_row_hash_to_table("row_hash"))
        disposition["row_version_column_name"] = "row_hash"
    else:
        raise ValueError(f"unknown dlt configuration {config_name!r}")
    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{config_name}",
        pipelines_dir=str(work / "pipelines"),
        destination=dlt.destinations.duckdb(str(work / f"dlt_{config_name}.duckdb")),
        dataset_name="ref",
    )
    t0 = time.perf_counter()
    pipeline.run(source, write_disposition=disposition)
    wall = time.perf_counter() - t0
    steps: dict[str, float] = {}
    trace = pipeline.last_trace
    for st in getattr(trace, "steps", []) or []:
        if st.started_at and st.finished_at:
            steps[st.step] = round((st.finished_at - st.started_at).total_seconds(), 3)
    counts: dict[str, int] = {}
    with pipeline.sql_client() as client:
        for t in tables:
            counts[t] = client.execute_sql(f"select count(*) from {t}")[0][0]
    return {
        "config": config_name,
        "wall_seconds": round(wall, 3),
        "step_seconds": steps,
        "destination_rows": counts,
        "peak_rss_mb": peak_rss_mb(),
        "children_peak_rss_mb": children_peak_mb(),
    }


# --------------------------------------------------------------------------- running a job


def _entry(conn: Any, fn: Callable[..., dict[str, Any]], args: tuple[Any, ...]) -> None:
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    finally:
        conn.close()


class JobFailed(RuntimeError):
    pass


def run_in_child(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``fn(*args)`` in a new spawned process and return its dict."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_entry, args=(child, fn, args))
    proc.start()
    child.close()
    try:
        status, payload = parent.recv()
    except EOFError:
        proc.join()
        raise JobFailed(f"{fn.__name__}: child died (exit code {proc.exitcode})") from None
    proc.join()
    if status != "ok":
        raise JobFailed(f"{fn.__name__}{args!r} failed: {payload}")
    return payload
