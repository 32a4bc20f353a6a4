"""`histar dashboard` (the web app) and `histar export` (PDF/PNG/HTML), added by `register`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from histar.cli.render import console, err_console
from histar.config import ConfigError, ProjectConfig, load_config, redact

ProjectOpt = Annotated[
    Path, typer.Option("--project", "-p", help="Project folder (holds histar.toml).")
]
FORMATS = ("pdf", "png", "html")


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[red]error:[/] {redact(message)}")
    return typer.Exit(1)


def _config(project: Path) -> ProjectConfig:
    try:
        return load_config(project)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def streamlit_command(project: Path, host: str, port: int) -> list[str]:
    """The command that serves the dashboard app (also used by the tests)."""
    app = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"
    return [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
        "--global.developmentMode", "false",
        "--", "--project", str(project),
    ]  # fmt: skip


def dashboard(
    project: ProjectOpt = Path("."),
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 for every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
) -> None:
    """Serve the dashboards in a browser (Streamlit) until stopped (Ctrl+C)."""
    from histar.dashboards.definitions import DashboardError, load_dashboards

    cfg = _config(project)
    try:
        boards = load_dashboards(cfg)
    except DashboardError as exc:
        raise _fail(str(exc)) from None
    names = ", ".join(d.name for d in boards) or "none yet"
    console.print(f"dashboards ({names}) on http://{host}:{port} — stop with Ctrl+C")
    try:
        code = subprocess.call(streamlit_command(cfg.project_dir.resolve(), host, port))
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


def export(
    project: ProjectOpt = Path("."),
    name: Annotated[
        str | None, typer.Option("--dashboard", "-d", help="Only this dashboard (by name).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default <project>/exports).")
    ] = None,
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            "-f",
            help="name=value, e.g. category=Data or date_range=2025-01-01..2025-06-30.",
        ),
    ] = None,
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: pdf,png,html.")
    ] = "pdf,png,html",
) -> None:
    """Write each dashboard as PDF, PNG and self-contained HTML (offline, no browser)."""
    from histar.dashboards.data import parse_filters
    from histar.dashboards.definitions import DashboardError, find_dashboard, load_dashboards
    from histar.dashboards.export import export_dashboard
    from histar.dashboards.query import NotPublished

    cfg = _config(project)
    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        raise _fail(f"--format: unknown {', '.join(bad) or 'empty'} (choose from pdf,png,html)")
    out_dir = out or cfg.resolve("exports")
    try:
        boards = find_dashboard(load_dashboards(cfg), name)
        if not boards:
            raise DashboardError("no dashboards defined for this project")
        for board in boards:
            values = parse_filters(board, filters or [])
            result = export_dashboard(cfg, board, out_dir, values, wanted)
            console.print(
                f"{board.name}: {result.tiles} tiles from batch {result.batch_id} → "
                + ", ".join(str(p) for p in result.files)
            )
    except (DashboardError, NotPublished) as exc:
        raise _fail(str(exc)) from None


def register(app: typer.Typer) -> None:
    """Add `dashboard` and `export` to the `histar` command."""
    app.command("dashboard")(dashboard)
    app.command("export")(export)
