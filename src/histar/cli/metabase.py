"""`histar metabase sync` (registered into the main app by `register`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from histar.cli.render import console, err_console, rows_table
from histar.config import ConfigError, ProjectConfig, load_config, redact

ProjectOpt = Annotated[
    Path, typer.Option("--project", "-p", help="Project folder (holds histar.toml).")
]


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[red]error:[/] {redact(message)}")
    return typer.Exit(1)


def _config(project: Path) -> ProjectConfig:
    try:
        return load_config(project)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def sync(
    project: ProjectOpt = Path("."),
    url: Annotated[
        str | None, typer.Option(help="Metabase base URL (default $MB_URL or localhost:3000).")
    ] = None,
    dashboard: Annotated[
        str | None, typer.Option(help="Only this dashboard (its name in the YAML).")
    ] = None,
    db_host: Annotated[
        str | None,
        typer.Option(help="PostgreSQL host[:port] as Metabase reaches it (e.g. postgres:5432)."),
    ] = None,
    duckdb_file: Annotated[
        str | None, typer.Option(help="DuckDB file path as Metabase sees it.")
    ] = None,
) -> None:
    """Create or update the project's dashboards in Metabase (questions, filters, tabs).

    Sign-in from the environment (or .env): MB_API_KEY, or MB_ADMIN_EMAIL + MB_ADMIN_PASSWORD
    (a new Metabase is set up with that admin).
    """
    from histar.dashboards.metabase import MetabaseError
    from histar.dashboards.metabase import sync as do_sync

    cfg = _config(project)
    try:
        with console.status("syncing Metabase…"):
            result = do_sync(
                cfg, url=url, dashboard=dashboard, db_host=db_host, duckdb_file=duckdb_file
            )
    except MetabaseError as exc:
        raise _fail(str(exc)) from None
    console.print(
        f"Metabase {result.url} ({result.signed_in_by}): database {result.database_name!r} "
        f"#{result.database_id} ({result.engine}, schema sync started), "
        f"collection #{result.collection_id}"
    )
    rows = [
        (d.name, "created" if d.created else "updated", d.cards_created, d.cards_updated,
         d.cards_archived, f"#{d.id}")
        for d in result.dashboards
    ]  # fmt: skip
    headers = ["dashboard", "", "new questions", "updated", "archived", "id"]
    console.print(rows_table("Metabase dashboards", headers, rows))
    for d in result.dashboards:
        console.print(f"{d.name}: {d.url}", soft_wrap=True)
    for name in result.archived_dashboards:
        console.print(f"archived dashboard {name} (no longer defined)")


def register(app: typer.Typer) -> None:
    """Add `metabase sync` to the `histar` command."""
    metabase_app = typer.Typer(help="Metabase: provision histar's dashboards via its REST API.")
    metabase_app.command("sync")(sync)
    app.add_typer(metabase_app, name="metabase")
