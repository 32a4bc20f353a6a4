"""How the CLI shows results: Rich tables and per-table progress lines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.status import Status
from rich.table import Table

from histar.pipeline import BatchResult, TableStats

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def _now() -> str:
    return datetime.now().strftime("%H:%M:%S")


def _n(value: int) -> str:
    return f"{value:,}"


class BatchProgress:
    """Prints one line per table as the original console output did, with a spinner per step."""

    def __init__(self) -> None:
        self.status: Status | None = None

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        if event == "batch_started":
            console.print(f"[bold]{_now()} batch {data['batch_id']}[/] ({data['kind']} load)")
        elif event == "step_started":
            self.status = console.status(f"{data['step']}…")
            self.status.start()
        elif event == "step_finished":
            self._stop()
            console.print(f"{_now()} {data['step']} done in {data['seconds']:.1f} s")
        elif event == "table_extracted":
            s: TableStats = data["stats"]
            rejected = f", [red]{_n(s.rows_rejected)} rejected[/]" if s.rows_rejected else ""
            notes = f" ({'; '.join(s.notes)})" if s.notes else ""
            console.print(
                f"  {_now()} read   {s.source}.{s.table:<16} {_n(s.rows_loaded):>12} rows "
                f"loaded{rejected}{notes}"
            )
        elif event == "table_merged":
            s = data["stats"]
            console.print(
                f"  {_now()} history {s.table:<16} {_n(s.inserted):>10} inserted "
                f"{_n(s.closed):>8} closed (source {s.source_id})"
            )
        elif event == "star_built":
            console.print(
                f"  {_now()} star   {data['models']} models, {data['tests']} tests passed "
                f"({data['seconds']:.1f} s)"
            )
        elif event == "star_unchanged":
            console.print(f"  {_now()} star   nothing changed: not rebuilt")
        elif event == "batch_failed":
            self._stop()

    def _stop(self) -> None:
        if self.status:
            self.status.stop()
            self.status = None


def batch_summary(result: BatchResult) -> Table:
    table = Table(title=f"batch {result.batch_id} ({result.kind}) {result.status}")
    for col in ("table", "source", "read", "loaded", "rejected", "inserted", "closed", "s"):
        table.add_column(col, justify="left" if col in ("table", "source") else "right")
    for s in result.tables:
        table.add_row(
            s.table,
            str(s.source_id),
            _n(s.rows_read),
            _n(s.rows_loaded),
            _n(s.rows_rejected),
            _n(s.inserted),
            _n(s.closed),
            f"{s.seconds:.2f}",
        )
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.step_seconds.items())
    table.caption = f"{result.seconds:.1f} s in all ({steps}); warehouse: {result.warehouse}"
    return table


def versions_table(title: str, columns: list[str], rows: list[tuple[Any, ...]]) -> Table:
    """One column per version, one line per field: wide rows stay readable."""
    table = Table(title=title)
    table.add_column("column", style="bold")
    for i, _ in enumerate(rows, start=1):
        table.add_column(f"version {i}")
    for j, name in enumerate(columns):
        table.add_row(name, *("" if r[j] is None else str(r[j]) for r in rows))
    return table


def rows_table(title: str, columns: list[str], rows: list[tuple[Any, ...]]) -> Table:
    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    return table


def _t(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else ""


def batches_table(batches: list[dict[str, Any]]) -> Table:
    table = Table(title="batches")
    for col in ("batch", "kind", "status", "started (UTC)", "s", "failed step / error"):
        table.add_column(col, justify="right" if col in ("batch", "s") else "left")
    for b in batches:
        secs = (b["finished_at"] - b["started_at"]).total_seconds() if b["finished_at"] else None
        error = f"{b['failed_step']}: {b['error'].splitlines()[0]}" if b["error"] else ""
        style = {"success": "green", "failed": "red"}.get(b["status"], "yellow")
        table.add_row(
            str(b["batch_id"]),
            b["kind"],
            f"[{style}]{b['status']}[/]",
            _t(b["started_at"]),
            "" if secs is None else f"{secs:.1f}",
            error,
        )
    return table


def tables_table(title: str, tables: list[dict[str, Any]]) -> Table:
    table = Table(title=title)
    cols = [
        ("table_name", "table"),
        ("source_id", "src"),
        ("mode", "mode"),
        ("rows_read", "read"),
        ("rows_loaded", "loaded"),
        ("rows_rejected", "rejected"),
        ("versions_inserted", "inserted"),
        ("versions_closed", "closed"),
    ]
    for _, label in cols:
        table.add_column(label, justify="left" if label in ("table", "mode") else "right")
    for t in tables:
        table.add_row(*(f"{t[k]:,}" if isinstance(t[k], int) else str(t[k]) for k, _ in cols))
    return table
