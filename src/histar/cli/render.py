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
                f"  {_now()} history {s.table:<22} {_n(s.inserted):>10} inserted "
                f"{_n(s.closed):>8} closed  (source {s.source_id})"
            )
        elif event == "star_built":
            console.print(
                f"  {_now()} star   {data['models']} models, {data['tests']} tests passed "
                f"({data['seconds']:.1f} s)"
            )
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
            s.table, str(s.source_id), _n(s.rows_read), _n(s.rows_loaded), _n(s.rows_rejected),
            _n(s.inserted), _n(s.closed), f"{s.seconds:.2f}",
        )  # fmt: skip
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.step_seconds.items())
    table.caption = f"{result.seconds:.1f} s in all ({steps}); warehouse: {result.warehouse}"
    return table


def rows_table(title: str, columns: list[str], rows: list[tuple[Any, ...]]) -> Table:
    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*("" if v is None else str(v) for v in r))
    return table
