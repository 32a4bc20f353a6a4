"""The flows' logic through `flow.fn()`: real SQLite/CSV sources, a real DuckDB warehouse,
a local Bot API server; no Prefect server needed."""

from __future__ import annotations

import logging
import re
import threading

import pytest

from histar.flows import Skipped, full_load, incremental_load
from histar.notify import Notifier
from histar.pipeline import BatchFailed, BatchLocked, run_batch, warehouse_lock
from notify.fake_bot_api import TOKEN, FakeBotAPI, closed_port_url


def test_full_then_incremental_with_start_and_success_messages(project, bot_api) -> None:
    first = full_load.fn(project=str(project.folder))
    assert (first.batch_id, first.kind, first.status) == (1, "full", "success")
    project.change("update items set price = 99 where id = 2")
    project.change("insert into items values (6, 'item 6', 9.0)")
    second = incremental_load.fn(project=str(project.folder))
    assert (second.batch_id, second.kind, second.status) == (2, "incremental", "success")
    items = next(t for t in second.tables if t.table == "items")
    assert (items.inserted, items.closed) == (2, 1)

    start1, done1, start2, done2 = bot_api.texts
    assert "batch <b>1</b> (full load) started" in start1
    assert "batch <b>2</b> (incremental load) started" in start2
    assert "batch <b>2</b> (incremental load) published in" in done2
    assert re.search(r"\nitems +2 +1 +0\n", done2)  # inserted, closed, rejected
    assert re.search(r"\nvisits +2 +0 +1</pre>", done1)
    assert "1 rows quarantined (raw._rejected_rows)" in done1
    assert str(project.folder / "histar.duckdb") in done2
    assert project.batches() == [(1, "full", "success", None), (2, "incremental", "success", None)]


def test_unreachable_source_sends_failure_and_leaves_warehouse_unchanged(
    project, bot_api, tmp_path
) -> None:
    full_load.fn(project=str(project.folder))
    before = project.snapshot()
    project.source.rename(tmp_path / "moved.sqlite")
    project.source.mkdir()  # a folder where the database file was: cannot be opened
    bot_api.messages.clear()
    with pytest.raises(BatchFailed) as err:
        incremental_load.fn(project=str(project.folder))
    result = err.value.result
    assert (result.batch_id, result.status, result.failed_step) == (2, "failed", "extract")
    assert project.snapshot() == before
    assert project.batches()[-1] == (2, "incremental", "failed", "extract")

    start, failure = bot_api.texts
    assert "batch <b>2</b>" in start
    assert "batch <b>2</b> (incremental load) failed in step <b>extract</b>" in failure
    assert "<pre>" in failure and result.error.splitlines()[0][:40] in failure.replace(
        "&#x27;", "'"
    ).replace("&quot;", '"')
    assert "The warehouse is as the previous batch left it." in failure
    assert "Retry" not in failure  # flow.fn(): no Prefect retries


def test_incremental_on_an_empty_warehouse_says_it_cannot_start(project, bot_api) -> None:
    with pytest.raises(Exception, match="run a full load first"):
        incremental_load.fn(project=str(project.folder))
    (text,) = bot_api.texts
    assert "the incremental load could not start" in text


@pytest.mark.parametrize("trouble", ["500", "hang", "refused"])
def test_load_succeeds_when_notifications_fail(project, bot_api, caplog, trouble) -> None:
    if trouble == "refused":
        project.write(closed_port_url())
    else:
        bot_api.script.extend([(trouble,)] * 20)
    caplog.set_level(logging.DEBUG)
    result = full_load.fn(project=str(project.folder))
    assert result.status == "success"
    assert project.batches() == [(1, "full", "success", None)]
    assert bot_api.messages == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("notification via telegram failed" in w for w in warnings) == 2
    assert TOKEN not in caplog.text


def test_overlap_skip(project, bot_api) -> None:
    full_load.fn(project=str(project.folder))
    bot_api.messages.clear()
    with warehouse_lock(project.config, wait=False):
        outcome = incremental_load.fn(project=str(project.folder))
    assert isinstance(outcome, Skipped)
    assert "another batch is running" in outcome.reason
    assert bot_api.messages == []
    assert [b[0] for b in project.batches()] == [1]


class _Signal(logging.Handler):
    def __init__(self, needle: str) -> None:
        super().__init__()
        self.needle, self.seen = needle, threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.needle in record.getMessage():
            self.seen.set()


def test_overlap_queue_waits_for_the_running_batch(project, bot_api) -> None:
    full_load.fn(project=str(project.folder))
    project.write(bot_api.url, 'retries = 0\non_overlap = "queue"')
    signal = _Signal("queued:")
    logging.getLogger("histar.flows.load").addHandler(signal)
    outcome: list = []
    try:
        with warehouse_lock(project.config, wait=False):
            worker = threading.Thread(
                target=lambda: outcome.append(incremental_load.fn(project=str(project.folder)))
            )
            worker.start()
            assert signal.seen.wait(60), "the flow did not say it was queued"
            assert outcome == []  # still waiting while the lock is held
        worker.join(120)
    finally:
        logging.getLogger("histar.flows.load").removeHandler(signal)
    assert outcome[0].batch_id == 2 and outcome[0].status == "success"


def test_cli_run_is_locked_out_while_a_flow_runs(project, bot_api) -> None:
    """The flow holds the same warehouse lock as `histar run`."""
    full_load.fn(project=str(project.folder))
    seen: list[str] = []

    class TryRun:
        name = "probe"

        def send(self, text: str) -> int:
            if "started" in text:
                try:
                    run_batch(project.config)
                    seen.append("ran")
                except BatchLocked as exc:
                    seen.append(str(exc))
            return 1

    from histar.flows.load import load

    result = load(project.config, full=False, notifier=Notifier([TryRun()]))
    assert result.batch_id == 2
    assert len(seen) == 1 and "another batch is running" in seen[0]
    assert isinstance(FakeBotAPI, type)
