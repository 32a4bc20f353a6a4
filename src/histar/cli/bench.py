"""`histar bench`: the benchmark suite in `benchmarks/` (issue #3).

The suite lives in the source tree (`benchmarks/histar_bench`), not in the installed
package: this command finds it beside `src/` (editable install) or in the current folder.
Its reference path needs the `bench` extra (dlt, connectorx).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def benchmarks_dir() -> Path | None:
    for candidate in (
        Path(__file__).resolve().parents[3] / "benchmarks",
        Path.cwd() / "benchmarks",
    ):
        if (candidate / "histar_bench").is_dir():
            return candidate
    return None


def register(app: typer.Typer) -> None:
    @app.command()
    def bench(
        rows: Annotated[str, typer.Option(help="Total source rows to generate (1M, 200k, …).")] = (
            "1M"
        ),
        scaling: Annotated[
            str, typer.Option(help="e.g. 1M,4M,16M: DuckDB full + incremental at each size.")
        ] = "",
        engines: Annotated[str, typer.Option(help="Warehouses: duckdb,postgres.")] = (
            "duckdb,postgres"
        ),
        reference: Annotated[
            str, typer.Option(help="dlt configurations: default,connectorx or none.")
        ] = "default,connectorx",
        reference_rows: Annotated[
            str, typer.Option(help="Row cap for the default dlt path (a few k rows/s).")
        ] = "50k",
        reference_connectorx_rows: Annotated[
            str, typer.Option(help="Row cap for the connectorx dlt configuration.")
        ] = "1M",
        changes: Annotated[float, typer.Option(help="Fraction changed before the incremental.")] = (
            0.001
        ),
        dashboard_runs: Annotated[int, typer.Option(help="Timed runs per dashboard.")] = 5,
        seed: Annotated[int, typer.Option(help="Generator seed.")] = 42,
        pg_url: Annotated[
            str | None,
            typer.Option(help="PostgreSQL admin URL (default HISTAR_BENCH_PG_URL or local)."),
        ] = None,
        results_dir: Annotated[Path | None, typer.Option(help="Where the JSON goes.")] = None,
        work_dir: Annotated[
            Path | None, typer.Option(help="Scratch folder (default: tmp).")
        ] = None,
        keep: Annotated[bool, typer.Option(help="Keep the scratch folder and databases.")] = False,
    ) -> None:
        """Benchmark full, incremental and no-op batches against the dlt scd2 reference."""
        folder = benchmarks_dir()
        if folder is None:
            typer.echo("error: benchmarks/ not found (run from the histar source tree)", err=True)
            raise typer.Exit(1)
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
        from histar_bench.cli import build_options, run

        try:
            opts = build_options(
                rows=rows,
                scaling=scaling,
                engines=engines,
                reference=reference,
                reference_rows=reference_rows,
                reference_connectorx_rows=reference_connectorx_rows,
                changes=changes,
                dashboard_runs=dashboard_runs,
                seed=seed,
                pg_url=pg_url,
                results_dir=results_dir,
                work_dir=work_dir,
                keep=keep,
            )
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        run(opts)
