"""`histar serve`: the incremental flow as a scheduled Prefect deployment.

The schedule, retries and overlap policy come from `[schedule]` in histar.toml. Overlap is
excluded twice: Prefect's deployment concurrency (limit 1, cancel-new or enqueue) and the
warehouse lock that `histar run` also takes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron, Interval, Schedule

from histar.config.model import ProjectConfig
from histar.flows.load import configured

DEFAULT_INTERVAL_MINUTES = 5


def schedule_for(config: ProjectConfig) -> Schedule:
    """Cron if `cron` is set, otherwise every `interval_minutes` (default 5)."""
    s = config.schedule
    if s.cron:
        return Cron(s.cron, timezone=s.timezone)
    minutes = s.interval_minutes or DEFAULT_INTERVAL_MINUTES
    return Interval(timedelta(minutes=minutes), timezone=s.timezone)


def describe_schedule(config: ProjectConfig) -> str:
    s = config.schedule
    when = (
        f"cron '{s.cron}' ({s.timezone})"
        if s.cron
        else f"every {s.interval_minutes or DEFAULT_INTERVAL_MINUTES:g} min"
    )
    retry = f"{s.retries} retr{'y' if s.retries == 1 else 'ies'} after {s.retry_delay_seconds:g} s"
    return f"{when}; {retry}; overlapping runs: {s.on_overlap}"


def concurrency_for(config: ProjectConfig) -> ConcurrencyLimitConfig:
    strategy = (
        ConcurrencyLimitStrategy.ENQUEUE
        if config.schedule.on_overlap == "queue"
        else ConcurrencyLimitStrategy.CANCEL_NEW
    )
    return ConcurrencyLimitConfig(limit=1, collision_strategy=strategy)


def deployment_name(config: ProjectConfig) -> str:
    return f"{config.name}-incremental"


def build_deployment(config: ProjectConfig, *, name: str | None = None) -> RunnerDeployment:
    """The incremental flow as a deployment: schedule, retries, concurrency, project path."""
    return configured(config).to_deployment(
        name=name or deployment_name(config),
        schedules=[schedule_for(config)],
        concurrency_limit=concurrency_for(config),
        parameters={"project": str(config.project_dir)},
        description=f"histar incremental load of {config.project_dir}",
        tags=["histar"],
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def prefect_api_url() -> str | None:
    """The Prefect server `serve` talks to; None means a temporary (ephemeral) server.

    An ephemeral server runs no scheduler service (Prefect 3.8), so it creates no scheduled
    runs: scheduling needs `prefect server start` and PREFECT_API_URL.
    """
    from prefect.settings import get_current_settings

    return get_current_settings().api.url or None


def serve(config: ProjectConfig, *, name: str | None = None, **options: Any) -> None:
    """Serve the scheduled incremental load until stopped (the schedule stays active)."""
    from prefect import serve as prefect_serve

    deployment = build_deployment(config, name=name)
    prefect_serve(deployment, pause_on_shutdown=False, **options)
