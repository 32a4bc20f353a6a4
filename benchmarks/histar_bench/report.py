"""The short Rich tables printed at the end of a benchmark run."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

STEPS = ("extract", "history", "star", "publish")


def _s(v: float | None) -> str:
    return "–" if v is None else f"{v:.2f}"


def _rate(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v / 1000:,.1f}k" if v < 1_000_000 else f"{v / 1_000_000:,.2f}M"


def _mb(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f}"


def runs_table(runs: list[dict[str, Any]], title: str) -> Table:
    t = Table(title=title, title_justify="left")
    for col in ("engine", "batch", "rows read", "total s", "rows/s"):
        t.add_column(col, justify="left" if col in ("engine", "batch") else "right")
    t.add_column("begin s", justify="right")
    for step in STEPS:
        t.add_column(f"{step} s", justify="right")
    t.add_column("peak MiB", justify="right")
    t.add_column("per step e/h/s/p", justify="right")
    t.add_column("ins / closed", justify="right")
    for r in runs:
        t.add_row(
            r["engine"],
            r["batch"],
            f"{r['source_rows_read']:,}",
            _s(r["seconds"]),
            _rate(r["rows_per_s"]),
            _s(r.get("begin_seconds")),
            *[_s(r["steps"][s]["seconds"]) for s in STEPS],
            _mb(r["peak_rss_mb"]),
            "/".join(_mb(r["steps"][s]["peak_rss_mb"]) for s in STEPS),
            f"{r['inserted']:,} / {r['closed']:,}",
        )
    return t


def reference_table(reference: list[dict[str, Any]], ratios: dict[str, Any]) -> Table:
    t = Table(title="reference: dlt sql_database → DuckDB, merge/scd2", title_justify="left")
    for col in ("config", "source", "rows", "wall s", "rows/s", "dlt steps s", "peak MiB"):
        t.add_column(col, justify="left" if col in ("config", "source", "dlt steps s") else "right")
    for r in reference:
        dlt_steps = r.get("step_seconds", {}).items()
        steps = ", ".join(f"{k} {v:.1f}" for k, v in dlt_steps if k != "run")
        t.add_row(
            r["config"],
            r["source"],
            f"{r['source_rows_read']:,}",
            _s(r["wall_seconds"]),
            _rate(r["rows_per_s"]),
            steps,
            _mb(r["peak_rss_mb"]),
        )
    return t


def ratios_lines(ratios: dict[str, Any]) -> list[str]:
    return [f"  {k.replace('_', ' ')}: {v}×" for k, v in ratios.items()]


def dashboards_table(dashboards: dict[str, Any]) -> Table | str:
    if "skipped" in dashboards:
        return f"dashboards: skipped — {dashboards['skipped']}"
    t = Table(title="dashboard queries (all tiles, default filters)", title_justify="left")
    for col in ("engine", "dashboard", "tiles", "cold s", "p50 s", "p95 s"):
        t.add_column(col, justify="left" if col in ("engine", "dashboard") else "right")
    for engine, res in dashboards.items():
        if "error" in res:
            t.add_row(engine, "error: " + res["error"].splitlines()[0][:60], "", "", "", "")
            continue
        for d in res["dashboards"]:
            t.add_row(
                engine,
                d["dashboard"],
                str(d["tiles"]),
                f"{d['cold_seconds']:.3f}",
                f"{d['p50_seconds']:.3f}",
                f"{d['p95_seconds']:.3f}",
            )
    return t


def scaling_table(sizes: list[dict[str, Any]]) -> Table:
    t = Table(title="scaling: DuckDB warehouse", title_justify="left")
    cols = (
        "rows",
        "source rows",
        "full s",
        "full rows/s",
        "full peak MiB",
        "file MiB",
        "incr s",
        "incr peak MiB",
        "noop s",
        "noop peak MiB",
    )
    for col in cols:
        t.add_column(col, justify="right")
    for size in sizes:
        by = {r["batch"]: r for r in size["runs"]}
        full, inc, noop = by["full"], by["incremental"], by["noop"]
        t.add_row(
            f"{size['scale']['rows']:,}",
            f"{full['source_rows_read']:,}",
            _s(full["seconds"]),
            _rate(full["rows_per_s"]),
            _mb(full["peak_rss_mb"]),
            _mb(full.get("warehouse_size_mb")),
            _s(inc["seconds"]),
            _mb(inc["peak_rss_mb"]),
            _s(noop["seconds"]),
            _mb(noop["peak_rss_mb"]),
        )
    return t


def _console() -> Console:
    c = Console(highlight=False)
    return c if c.is_terminal else Console(highlight=False, width=180)


def print_main(doc: dict[str, Any], path: Any, console: Console | None = None) -> None:
    console = console or _console()
    scale = doc["scale"]
    console.print()
    console.print(runs_table(doc["runs"], f"histar batches — {scale['source_rows']:,} source rows"))
    if doc["reference"]:
        console.print(reference_table(doc["reference"], doc["ratios"]))
        console.print("histar rows/s ÷ dlt rows/s:")
        for line in ratios_lines(doc["ratios"]):
            console.print(line)
    console.print(dashboards_table(doc["dashboards"]))
    console.print(f"results: {path}")


def print_scaling(doc: dict[str, Any], path: Any, console: Console | None = None) -> None:
    console = console or _console()
    console.print()
    console.print(scaling_table(doc["sizes"]))
    for size in doc["sizes"]:
        console.print(runs_table(size["runs"], f"{size['scale']['source_rows']:,} source rows"))
    console.print(f"results: {path}")
