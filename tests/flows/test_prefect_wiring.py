"""The flows under a real (temporary) Prefect server: tasks, retries, hooks, schedule,
deployment concurrency. One harness for the whole session (start-up ~20-30 s)."""

from __future__ import annotations

import uuid

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import ConcurrencyLimitStrategy, FlowRun
from prefect.states import Cancelled

from histar.flows import (
    build_deployment,
    configured,
    full_load,
    incremental_load,
    on_cancelled,
    on_crashed,
)
from histar.flows.serve import describe_schedule

pytestmark = pytest.mark.usefixtures("prefect_server")


def _task_states(flow_run_id) -> dict[str, str]:
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return {r.name.split("-")[0]: r.state.type.value for r in runs}


def test_steps_run_as_tasks_and_messages_go_out(project, bot_api) -> None:
    cfg = project.config
    state = configured(cfg, full=True)(project=str(project.folder), return_state=True)
    assert state.is_completed()
    state = configured(cfg)(project=str(project.folder), return_state=True)
    assert state.is_completed()
    result = state.result()
    assert (result.batch_id, result.kind) == (2, "incremental")
    tasks = _task_states(state.state_details.flow_run_id)
    assert tasks == {s: "COMPLETED" for s in ("extract", "history", "star", "publish")}
    assert len(bot_api.texts) == 4
    assert "batch <b>2</b> (incremental load) published" in bot_api.texts[-1]


def test_retries_from_config_each_attempt_a_new_batch(project, bot_api, tmp_path) -> None:
    full_load.fn(project=str(project.folder))
    project.write(bot_api.url, "retries = 2\nretry_delay_seconds = 0")
    project.source.rename(tmp_path / "moved.sqlite")
    project.source.mkdir()
    bot_api.messages.clear()
    state = configured(project.config)(project=str(project.folder), return_state=True)
    assert state.is_failed()
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert run.run_count == 3
    assert [b[2:] for b in project.batches()] == [("success", None)] + [("failed", "extract")] * 3
    failures = [t for t in bot_api.texts if "failed in step" in t]
    assert len(failures) == 3
    assert "Retry 1 of 2 in 0.0 s." in failures[0]
    assert "Retry 2 of 2" in failures[1]
    assert "Retry" not in failures[2]
    assert _task_states(state.state_details.flow_run_id)["extract"] == "FAILED"


def test_overlapping_run_is_skipped_and_says_so(project, bot_api) -> None:
    from histar.pipeline import warehouse_lock

    full_load.fn(project=str(project.folder))
    with warehouse_lock(project.config, wait=False):
        state = incremental_load(project=str(project.folder), return_state=True)
    assert state.is_completed() and state.name == "Skipped"
    assert "another batch is running" in state.message
    assert [b[0] for b in project.batches()] == [1]


class Boom(BaseException):
    """Like a signal: not an Exception, so Prefect marks the run Crashed."""


def test_crash_hook_sends_a_message(project, bot_api) -> None:
    @flow(on_crashed=[on_crashed])
    def crashing(project: str) -> None:
        raise Boom("worker lost")

    with pytest.raises(Boom):
        crashing(project=str(project.folder))
    (text,) = bot_api.texts
    assert "💥" in text and "crashed" in text
    # the real flows carry the same hooks, also when configured from histar.toml
    for f in (incremental_load, full_load, configured(project.config)):
        assert f.on_crashed_hooks == [on_crashed]
        assert f.on_cancellation_hooks == [on_cancelled]


def test_cancel_hook(project, bot_api) -> None:
    run = FlowRun(
        flow_id=uuid.uuid4(), name="brave-otter", parameters={"project": str(project.folder)}
    )
    on_cancelled(incremental_load, run, Cancelled(message="Cancelled by the user"))
    (text,) = bot_api.texts
    assert "🛑" in text and "brave-otter" in text and "Cancelled by the user" in text
    # deployment concurrency turning a run away is logged, not messaged
    on_cancelled(incremental_load, run, Cancelled(message="Deployment concurrency limit reached."))
    assert len(bot_api.texts) == 1


def test_deployment_schedule_retries_and_concurrency(project, bot_api) -> None:
    cfg = project.config
    d = build_deployment(cfg)
    assert d.schedules[0].schedule.interval.total_seconds() == 300  # default: every 5 min
    assert d.concurrency_limit == 1
    assert d.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.CANCEL_NEW
    assert d.parameters == {"project": str(project.folder)}
    assert d.entrypoint == "histar.flows.load.incremental_load"

    project.write(
        bot_api.url,
        'cron = "*/15 * * * *"\ntimezone = "Europe/Berlin"\nretries = 3\n'
        'retry_delay_seconds = 60\non_overlap = "queue"',
    )
    cfg = project.config
    d = build_deployment(cfg)
    deployment_id = d.apply()
    with get_client(sync_client=True) as client:
        stored = client.read_deployment(deployment_id)
    (schedule,) = stored.schedules
    assert schedule.schedule.cron == "*/15 * * * *"
    assert schedule.schedule.timezone == "Europe/Berlin"
    assert schedule.active
    assert stored.global_concurrency_limit.limit == 1
    assert stored.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.ENQUEUE
    assert stored.parameters == {"project": str(project.folder)}
    f = configured(cfg)
    assert (f.retries, f.retry_delay_seconds) == (3, 60)
    assert describe_schedule(cfg) == (
        "cron '*/15 * * * *' (Europe/Berlin); 3 retries after 60 s; overlapping runs: queue"
    )
