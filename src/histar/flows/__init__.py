"""Prefect flows: full and incremental loads, the schedule, retries, overlap protection."""

from histar.flows.load import (
    Skipped,
    configured,
    full_load,
    incremental_load,
    load,
    on_cancelled,
    on_crashed,
)
from histar.flows.serve import (
    build_deployment,
    concurrency_for,
    describe_schedule,
    schedule_for,
    serve,
)

__all__ = [
    "Skipped",
    "build_deployment",
    "concurrency_for",
    "configured",
    "describe_schedule",
    "full_load",
    "incremental_load",
    "load",
    "on_cancelled",
    "on_crashed",
    "schedule_for",
    "serve",
]
