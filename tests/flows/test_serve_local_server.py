"""`histar serve` without PREFECT_API_URL: it starts its own Prefect server, whose scheduler
creates the runs, and stops it again. Real processes: `histar serve` in a subprocess, the
server as its child, flow runs as the runner's children."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from histar.flows.serve import PrefectServerError, local_server
from histar.pipeline import BatchLocked, run_batch, warehouse_lock
from histar.warehouse.connection import connect

STARTUP_BOUND = 150  # s: server start-up (~20-30 s here) + first scheduled run
UI_LINE = re.compile(r"UI at (http://127\.0\.0\.1:(\d+))")


def _env(tmp_path: Path) -> dict[str, str]:
    """No PREFECT_API_URL anywhere: not in the environment, not in a profile."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {
        "PREFECT_HOME": str(tmp_path / "client-home"),  # an empty profile
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "200",
    }
    return env


def _histar_serve(project: Path, env: dict[str, str], out: Path) -> subprocess.Popen[bytes]:
    with out.open("wb") as sink:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "histar"), "serve", "-p", str(project)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our signals go to `histar serve` only
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # Ctrl+C works
        )


def _children(pid: int) -> set[int]:
    kids: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            kids |= {int(p) for p in (task / "children").read_text().split()}
    return kids


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _scheduled_batches(project) -> list[tuple]:
    """Successful incremental batches; [] while a batch holds the warehouse (no DuckDB clash)."""
    cfg = project.config
    try:
        with warehouse_lock(cfg, wait=False), connect(cfg.warehouse.url, cfg.project_dir) as wh:
            return wh.query(
                "select batch_id from ops.batches where kind = 'incremental' and status = 'success'"
            )
    except BatchLocked:
        return []


def _wait(what: str, check, proc: subprocess.Popen[bytes], out: Path, bound: float):
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if (value := check()) is not None:
            return value
        assert proc.poll() is None, f"histar serve exited early:\n{out.read_text()}"
        time.sleep(1)
    server_log = out.parent / ".histar" / "prefect" / "server.log"
    tail = "\n".join(server_log.read_text().splitlines()[-40:]) if server_log.exists() else ""
    pytest.fail(
        f"{what} not within {bound} s; histar serve said:\n{out.read_text()}\n"
        f"server.log ends:\n{tail}"
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.slow
def test_serve_without_api_url_runs_the_schedule_on_its_own_server(
    project, bot_api, tmp_path
) -> None:
    project.write(bot_api.url, "interval_minutes = 0.1\nretries = 0\nretry_delay_seconds = 0")
    run_batch(project.config, full=True)
    out = tmp_path / "serve.log"
    proc = _histar_serve(project.folder, _env(tmp_path), out)
    server_pid = None
    try:
        ui, port = _wait(
            "the local Prefect server",
            lambda: (m := UI_LINE.search(out.read_text())) and m.groups(),
            proc,
            out,
            STARTUP_BOUND,
        )
        (server_pid,) = (p for p in _children(proc.pid) if "server start" in _cmdline(p))
        assert f"--port {port}" in _cmdline(server_pid)
        assert httpx.get(f"{ui}/api/health").status_code == 200
        assert (project.folder / ".histar" / "prefect" / "prefect.db").exists()

        _wait(
            "a scheduled incremental batch",
            lambda: _scheduled_batches(project) or None,
            proc,
            out,
            STARTUP_BOUND,
        )
        runs = httpx.post(
            f"{ui}/api/flow_runs/filter",
            json={"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}},
        ).json()
        assert any(r["auto_scheduled"] and r["deployment_id"] for r in runs), runs
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Ctrl+C
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                pytest.fail(f"histar serve ignored Ctrl+C:\n{out.read_text()}")
    assert server_pid is not None and not _alive(server_pid), out.read_text()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{ui}/api/health")
    assert any("published in" in t and "incremental load" in t for t in bot_api.texts)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_while_the_server_starts_stops_it(project, tmp_path) -> None:
    out = tmp_path / "serve.log"
    proc = _histar_serve(project.folder, _env(tmp_path), out)
    server = []
    try:
        server = _wait(
            "the server process",
            lambda: [p for p in _children(proc.pid) if "server start" in _cmdline(p)] or None,
            proc,
            out,
            60,
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    assert proc.returncode != 0
    assert "starting a local Prefect server" in out.read_text()
    assert server and not _alive(server[0])


def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path, monkeypatch) -> None:
    home = tmp_path / "prefect"
    monkeypatch.setenv(
        "PREFECT_SERVER_DATABASE_CONNECTION_URL", "postgresql+asyncpg://nobody@127.0.0.1:1/x"
    )
    monkeypatch.setenv("PREFECT_SERVER_DATABASE_TIMEOUT", "2")
    with pytest.raises(PrefectServerError) as err, local_server(home, timeout=120):
        pass
    message = str(err.value)
    assert "local Prefect server" in message and str(home / "server.log") in message
    assert len(message.splitlines()) > 1  # the server's last log lines
