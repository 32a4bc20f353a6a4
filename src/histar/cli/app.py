"""The `histar` command: parse, call one core function, render its result."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from histar.cli.render import (
    BatchProgress,
    batch_summary,
    batches_table,
    console,
    err_console,
    rows_table,
    tables_table,
    versions_table,
)
from histar.config import ConfigError, ProjectConfig, load_config, redact, write_default_project

app = typer.Typer(no_args_is_help=True, add_completion=False, help="histar: BI pipeline in a box.")
datagen_app = typer.Typer(help="Synthetic source data for the online-course demo.")
app.add_typer(datagen_app, name="datagen")

ProjectOpt = Annotated[
    Path, typer.Option("--project", "-p", help="Project folder (holds histar.toml).")
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]error:[/] {redact(message)}")
    return typer.Exit(code)


def _config(project: Path) -> ProjectConfig:
    try:
        return load_config(project)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


@app.callback()
def main_options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log at INFO level.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Where to write histar.toml.")] = Path("."),
    warehouse_url: Annotated[str, typer.Option(help="duckdb:///file or postgresql://…")] = (
        "duckdb:///histar.duckdb"
    ),
    source_url: Annotated[str, typer.Option(help="sqlite:///file or postgresql://…")] = (
        "sqlite:///data/source.sqlite"
    ),
    rows: Annotated[int, typer.Option(help="Rows the demo generator makes.")] = 20_000,
    force: Annotated[bool, typer.Option(help="Overwrite an existing histar.toml.")] = False,
) -> None:
    """Write a histar.toml for the online-course demo."""
    try:
        path = write_default_project(
            folder, force=force, warehouse_url=warehouse_url, source_url=source_url, rows=rows
        )
    except FileExistsError as exc:
        raise _fail(str(exc)) from None
    console.print(f"wrote {path}")


@datagen_app.callback(invoke_without_command=True)
def datagen(
    ctx: typer.Context,
    project: ProjectOpt = Path("."),
    rows: Annotated[int | None, typer.Option(help="Approximate total source rows.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (same seed, same data).")] = None,
) -> None:
    """Create the source database (9 tables) and the agencies' CSV files."""
    if ctx.invoked_subcommand:
        return
    from histar.datagen import generate

    cfg = _config(project)
    if cfg.datagen is None:
        raise _fail("histar.toml has no [datagen] section")
    d = cfg.datagen
    with console.status("generating source data…"):
        result = generate(
            _source_url(cfg, d.source_url), cfg.resolve(d.csv_dir),
            rows=rows or d.rows, seed=d.seed if seed is None else seed,
        )  # fmt: skip
    rows_out = [(t, f"{n:,}") for t, n in result.tables.items()]
    rows_out += [(f.path.name, f"{f.good_rows:,} (+{f.bad_rows} bad)") for f in result.csv_files]
    console.print(rows_table("source data", ["table / file", "rows"], rows_out))
    console.print(f"{result.total_rows:,} rows in {result.seconds:.1f} s")


def _source_url(cfg: ProjectConfig, url: str) -> str:
    """Resolve a relative sqlite:/// path against the project folder."""
    from histar.extract.database import sqlite_path

    if url.startswith("sqlite:"):
        return f"sqlite:///{sqlite_path(url, cfg.project_dir)}"
    return url


@datagen_app.command("changes")
def datagen_changes(
    project: ProjectOpt = Path("."),
    fraction: Annotated[float, typer.Option(help="Share of each table's rows to touch.")] = 0.01,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Apply one realistic change batch to the source (updates, inserts, deletes, a new file)."""
    from histar.datagen import apply_changes

    cfg = _config(project)
    if cfg.datagen is None:
        raise _fail("histar.toml has no [datagen] section")
    d = cfg.datagen
    result = apply_changes(
        _source_url(cfg, d.source_url), cfg.resolve(d.csv_dir), seed=seed, fraction=fraction
    )
    rows = [
        (t, f"{c.updated:,}", f"{c.inserted:,}", f"{c.deleted:,}")
        for t, c in result.changes.items()
    ]
    console.print(rows_table("changes applied", ["table", "updated", "inserted", "deleted"], rows))
    f = result.csv_file
    console.print(f"new CSV file: {f.path.name} ({f.good_rows:,} rows, {f.bad_rows} bad)")


@app.command()
def run(
    project: ProjectOpt = Path("."),
    full: Annotated[bool, typer.Option("--full", help="Rebuild everything as batch 1.")] = False,
    wait: Annotated[bool, typer.Option(help="Wait for a running batch instead of skipping.")] = (
        False
    ),
) -> None:
    """Run one batch: extract → history → star schema → publish."""
    from histar.pipeline import BatchFailed, BatchLocked, run_batch
    from histar.pipeline.batch import NotLoaded

    cfg = _config(project)
    try:
        result = run_batch(cfg, full=full, progress=BatchProgress(), wait=wait)
    except NotLoaded as exc:
        raise _fail(str(exc)) from None
    except BatchLocked as exc:
        console.print(f"[yellow]skipped:[/] {exc}")
        raise typer.Exit(3) from None
    except BatchFailed as exc:
        r = exc.result
        raise _fail(
            f"batch {r.batch_id} failed in step '{r.failed_step}'; the warehouse is as the "
            f"previous batch left it.\n{r.error}"
        ) from None
    console.print(batch_summary(result))


@app.command()
def status(
    project: ProjectOpt = Path("."),
    limit: Annotated[int, typer.Option(help="How many batches to show.")] = 10,
) -> None:
    """Show the recent batches and the tables of the last successful one."""
    from histar.pipeline import status as get_status
    from histar.pipeline.inspect import NotLoaded

    cfg = _config(project)
    try:
        st = get_status(cfg, limit)
    except NotLoaded as exc:
        raise _fail(str(exc)) from None
    console.print(batches_table(st.batches))
    if st.tables:
        last = next(b["batch_id"] for b in st.batches if b["status"] == "success")
        console.print(tables_table(f"batch {last}", st.tables))


@app.command()
def history(
    table: Annotated[str, typer.Argument(help="Source table, e.g. users.")],
    key: Annotated[str, typer.Argument(help="Primary key value (comma-separated if composite).")],
    project: ProjectOpt = Path("."),
) -> None:
    """Show every version of one row, oldest first."""
    from histar.pipeline import row_history
    from histar.pipeline.inspect import NotLoaded

    cfg = _config(project)
    try:
        names, rows = row_history(cfg, table, key)
    except (NotLoaded, KeyError, ValueError) as exc:
        raise _fail(str(exc).strip("'\"")) from None
    if not rows:
        raise _fail(f"no versions of {table} {key}")
    console.print(versions_table(f"{cfg.warehouse.history_schema}.{table} {key}", names, rows))


@app.command()
def reset(
    layer: Annotated[str, typer.Argument(help="source, warehouse or star")],
    project: ProjectOpt = Path("."),
) -> None:
    """Remove one layer so that it is built again from scratch."""
    from histar.pipeline import BatchLocked
    from histar.pipeline import reset as do_reset

    cfg = _config(project)
    try:
        done = do_reset(cfg, layer)
    except (ValueError, BatchLocked) as exc:
        raise _fail(str(exc)) from None
    console.print(f"reset {layer}: " + (", ".join(done) or "nothing to remove"))


def _register_extensions() -> None:
    from histar.cli.bench import register as register_bench
    from histar.cli.dashboards import register as register_dashboards
    from histar.cli.example import register as register_example
    from histar.cli.metabase import register as register_metabase
    from histar.cli.schedule import register as register_schedule

    register_schedule(app)
    register_dashboards(app)
    register_metabase(app)
    register_example(app)
    register_bench(app)


_register_extensions()


def main() -> None:
    app()
