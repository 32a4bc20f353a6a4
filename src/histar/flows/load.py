"""Prefect flows for the full and the incremental load.

They run the same core functions as `histar run` (`begin`, `extract`, `history`, `star`,
`publish`, `abort`) under the same `warehouse_lock`, so a flow and the CLI exclude each
other. Each step is a Prefect task with its own state and logs. A failing step is undone
with `abort` (the warehouse stays as the previous batch left it) and fails the flow, so
Prefect's retries apply. Notifications go out at start, success and failure from the flow
itself (it knows the batch); crashes and cancellations are reported by flow hooks.

`load()` is the flow's logic without Prefect: `flow.fn(project=...)` runs it with plain
function calls and needs no Prefect server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.exceptions import MissingContextError
from prefect.states import Completed, State

from histar.config.loader import environment, load_config, redact
from histar.config.model import ProjectConfig
from histar.notify import Notifier, messages
from histar.pipeline import (
    Batch,
    BatchFailed,
    BatchLocked,
    BatchResult,
    TableStats,
    abort,
    begin,
    extract,
    history,
    publish,
    star,
    warehouse_lock,
)

log = logging.getLogger(__name__)

DASHBOARD_URL_ENV = "HISTAR_DASHBOARD_URL"


@dataclass
class Skipped:
    """The run did not start because another batch holds the warehouse."""

    reason: str


def _logger() -> logging.Logger | logging.LoggerAdapter[Any]:
    try:
        return get_run_logger()
    except MissingContextError:
        return log


class LogProgress:
    """Turns the core's progress events into log lines of the current Prefect task."""

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        logger = _logger()
        if event == "table_extracted":
            s: TableStats = data["stats"]
            notes = f" ({'; '.join(s.notes)})" if s.notes else ""
            logger.info(
                "read %s.%s: %s rows loaded, %s rejected%s",
                s.source, s.table, f"{s.rows_loaded:,}", f"{s.rows_rejected:,}", notes,
            )  # fmt: skip
        elif event == "table_merged":
            s = data["stats"]
            logger.info(
                "history %s: %s inserted, %s closed (source %s)",
                s.table, f"{s.inserted:,}", f"{s.closed:,}", s.source_id,
            )  # fmt: skip
        elif event == "star_built":
            logger.info(
                "star schema: %s models, %s tests passed (%.1f s)",
                data.get("models"), data.get("tests"), data.get("seconds", 0.0),
            )  # fmt: skip
        elif event == "step_finished":
            logger.info("%s done in %.1f s", data["step"], data["seconds"])


# -- the four steps as tasks (no caching: a step's input is live state, not a value) ---------


@task(name="extract", cache_policy=NO_CACHE, persist_result=False)
def extract_task(batch: Batch) -> None:
    extract(batch)


@task(name="history", cache_policy=NO_CACHE, persist_result=False)
def history_task(batch: Batch) -> None:
    history(batch)


@task(name="star", cache_policy=NO_CACHE, persist_result=False)
def star_task(batch: Batch) -> None:
    star(batch)


@task(name="publish", cache_policy=NO_CACHE, persist_result=False)
def publish_task(batch: Batch) -> BatchResult:
    return publish(batch)


_TASKS: dict[str, Callable[[Batch], Any]] = {
    "extract": extract_task,
    "history": history_task,
    "star": star_task,
    "publish": publish_task,
}
_PLAIN: dict[str, Callable[[Batch], Any]] = {
    "extract": extract,
    "history": history,
    "star": star,
    "publish": publish,
}


def _run_step(name: str, batch: Batch) -> Any:
    """A Prefect task inside a flow run; the plain core function otherwise (`flow.fn`)."""
    return (_TASKS if FlowRunContext.get() else _PLAIN)[name](batch)


@dataclass
class RetryInfo:
    delay: float
    attempt: str  # e.g. "2 of 3"


def _next_retry() -> RetryInfo | None:
    """Whether Prefect will retry this flow run after a failure, and when."""
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow is None or ctx.flow_run is None:
        return None
    retries, run_count = ctx.flow.retries or 0, ctx.flow_run.run_count or 1
    if run_count > retries:
        return None
    delay = ctx.flow.retry_delay_seconds or 0
    if isinstance(delay, list):
        delay = delay[min(run_count - 1, len(delay) - 1)] if delay else 0
    return RetryInfo(float(delay), f"{run_count} of {retries}")


def load(
    config: ProjectConfig, *, full: bool, notifier: Notifier | None = None
) -> BatchResult | Skipped:
    """One batch under the warehouse lock, with notifications; raises BatchFailed on failure.

    When another batch holds the warehouse, `schedule.on_overlap` decides: "skip" returns
    `Skipped` at once, "queue" waits for the lock.
    """
    logger = _logger()
    env = environment(config.project_dir)  # fails early on an unreadable .env
    notifier = notifier or Notifier.from_config(config, env)
    kind = "full" if full else "incremental"
    failure: BatchResult | None = None
    cause: BaseException | None = None
    with ExitStack() as held:
        try:
            held.enter_context(warehouse_lock(config, wait=False))
        except BatchLocked as exc:
            if config.schedule.on_overlap != "queue":
                logger.warning("skipped: %s (schedule.on_overlap = skip)", exc)
                return Skipped(str(exc))
            logger.warning("queued: %s; waiting for it to finish (on_overlap = queue)", exc)
            held.enter_context(warehouse_lock(config, wait=True))
            logger.info("the other batch finished; starting")
        try:
            batch = begin(config, full=full, progress=LogProgress())
        except Exception as exc:
            error = redact(str(exc))
            logger.error("the %s load could not start: %s", kind, error)
            notifier.send(messages.not_started(config.name, kind, error))
            raise
        logger.info("batch %s (%s load) started", batch.batch_id, kind)
        notifier.send(messages.started(config.name, batch))
        current = "extract"
        try:
            for current in ("extract", "history", "star"):
                _run_step(current, batch)
            current = "publish"
            result: BatchResult = _run_step("publish", batch)
        except Exception as exc:
            failure = abort(batch, current, exc)
            cause = exc
    if failure is not None:
        retry = _next_retry()
        notifier.send(
            messages.failed(
                config.name,
                failure,
                retry_in=retry.delay if retry else None,
                attempt=retry.attempt if retry else "",
            )
        )
        raise BatchFailed(failure) from cause
    logger.info(
        "batch %s published in %.1f s; warehouse %s",
        result.batch_id, result.seconds, result.warehouse,
    )  # fmt: skip
    notifier.send(messages.succeeded(config.name, result, env.get(DASHBOARD_URL_ENV)))
    return result


def _run(project: str, *, full: bool) -> BatchResult | Skipped | State:
    config = load_config(project)
    outcome = load(config, full=full)
    if isinstance(outcome, Skipped) and FlowRunContext.get() is not None:
        return Completed(name="Skipped", message=f"skipped: {outcome.reason}")
    return outcome


# -- hooks: a run that crashed or was cancelled never reaches the flow's own messages --------


def _report(what: str, flow_run: Any, state: Any) -> None:
    try:
        parameters = getattr(flow_run, "parameters", None) or {}
        config = load_config(parameters.get("project", "."))
        message = redact(getattr(state, "message", None) or "")
        if what == "cancelled" and "concurrency limit" in message.lower():
            # deployment concurrency turned this run away: the running batch goes on
            log.warning("flow run %s skipped: %s", getattr(flow_run, "name", "?"), message)
            return
        Notifier.from_config(config).send(
            messages.interrupted(config.name, getattr(flow_run, "name", "?"), what, message)
        )
    except Exception as exc:  # a hook must never raise
        log.warning("could not report the %s flow run: %s", what, redact(str(exc)))


def on_crashed(flow: Any, flow_run: Any, state: Any) -> None:
    _report("crashed", flow_run, state)


def on_cancelled(flow: Any, flow_run: Any, state: Any) -> None:
    _report("cancelled", flow_run, state)


_FLOW_OPTIONS: dict[str, Any] = {
    "retries": 1,
    "retry_delay_seconds": 300,
    "persist_result": False,
    "on_crashed": [on_crashed],
    "on_cancellation": [on_cancelled],
}


@flow(name="histar-incremental-load", **_FLOW_OPTIONS)
def incremental_load(project: str = ".") -> Any:
    """Load what changed in the sources since the last batch (histar run)."""
    return _run(project, full=False)


@flow(name="histar-full-load", **_FLOW_OPTIONS)
def full_load(project: str = ".") -> Any:
    """Rebuild the warehouse from scratch as batch 1 (histar run --full)."""
    return _run(project, full=True)


def configured(config: ProjectConfig, *, full: bool = False) -> Any:
    """The flow with the retries of `[schedule]` in histar.toml."""
    base = full_load if full else incremental_load
    return base.with_options(
        retries=config.schedule.retries,
        retry_delay_seconds=config.schedule.retry_delay_seconds,
    )
