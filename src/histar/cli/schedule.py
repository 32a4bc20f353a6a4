"""`histar serve` and `histar notify test` (registered into the main app by `register`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from histar.cli.render import console, err_console
from histar.config import ConfigError, ProjectConfig, load_config, redact

ProjectOpt = Annotated[
    Path, typer.Option("--project", "-p", help="Project folder (holds histar.toml).")
]


def _config(project: Path) -> ProjectConfig:
    try:
        return load_config(project)
    except ConfigError as exc:
        err_console.print(f"[red]error:[/] {redact(str(exc))}")
        raise typer.Exit(1) from None


def serve(
    project: ProjectOpt = Path("."),
    name: Annotated[
        str | None, typer.Option(help="Deployment name (default <project>-incremental).")
    ] = None,
) -> None:
    """Run the incremental load on the schedule from histar.toml until stopped (Ctrl+C).

    Uses the Prefect server of PREFECT_API_URL; without it, starts a local one (data in
    .histar/prefect of the project) for as long as it runs.
    """
    cfg = _config(project)
    from histar.flows import describe_schedule
    from histar.flows import serve as serve_flows
    from histar.flows.serve import PrefectServerError, prefect_api_url

    url = prefect_api_url()
    if url:
        console.print(f"Prefect server: {url}")
    console.print(f"serving the incremental load of {cfg.project_dir}: {describe_schedule(cfg)}")
    console.print("stop with Ctrl+C (the schedule stays active for the next start)")
    try:
        serve_flows(cfg, name=name, say=lambda line: console.print(line, soft_wrap=True))
    except PrefectServerError as exc:
        err_console.print(Text.assemble(("error: ", "red"), str(exc)), soft_wrap=True)
        raise typer.Exit(1) from None


def notify_test(
    project: ProjectOpt = Path("."),
    message: Annotated[
        str | None, typer.Option(help="Text to send instead of the default.")
    ] = None,
) -> None:
    """Send a test message to every configured channel and report what went wrong."""
    from histar.notify import NotifyError, send_test

    cfg = _config(project)
    try:
        deliveries = send_test(cfg, message)
    except NotifyError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    for d in deliveries:
        if d.ok:
            console.print(f"[green]sent[/] via {d.channel} ({d.messages} message(s))")
        else:
            err_console.print(f"[red]failed[/] via {d.channel}: {d.error}")
    if not all(d.ok for d in deliveries):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `serve` and `notify test` to the `histar` command."""
    app.command("serve")(serve)
    notify_app = typer.Typer(help="Notifications: Telegram and Apprise URLs.")
    notify_app.command("test")(notify_test)
    app.add_typer(notify_app, name="notify")
