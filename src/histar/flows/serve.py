"""`histar serve`: the incremental flow as a scheduled Prefect deployment.

The schedule, retries and overlap policy come from `[schedule]` in histar.toml. Overlap is
excluded twice: Prefect's deployment concurrency (limit 1, cancel-new or enqueue) and the
warehouse lock that `histar run` also takes.

Scheduled runs are created by the Prefect server's scheduler service. With PREFECT_API_URL
set, `serve` uses that server (e.g. `prefect server start`). Without it, `serve` starts its
own `prefect server start` as a child process (SQLite in `<project>/.histar/prefect`, on a
free port of 127.0.0.1) and stops it on exit. Prefect's own default for "no API URL", a
temporary in-process (ephemeral) server, cannot be used: Prefect 3.8 runs only the services
marked for ephemeral mode there, the scheduler is not one of them, and no setting changes
that, so the deployment would be registered but no run ever scheduled.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron, Interval, Schedule

from histar.config.model import ProjectConfig
from histar.flows.load import configured

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_MINUTES = 5
SERVER_STARTUP_TIMEOUT_SECONDS = 180.0  # first start migrates a new SQLite db: ~30 s here
SERVER_STOP_TIMEOUT_SECONDS = 20.0
SERVER_LOG_LINES = 25  # shown when the server does not come up


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
    """The Prefect server `serve` talks to (PREFECT_API_URL, environment or profile).

    None means none is configured: `serve` then starts its own (`local_server`), because
    Prefect's temporary in-process server runs no scheduler.
    """
    from prefect.settings import get_current_settings

    return get_current_settings().api.url or None


# -- a local Prefect server as a child process -----------------------------------------------


class PrefectServerError(RuntimeError):
    """The local Prefect server did not start (the message has its last log lines)."""


@dataclass
class LocalServer:
    """A `prefect server start` child process serving 127.0.0.1:<port>."""

    process: subprocess.Popen[bytes]
    port: int
    home: Path  # PREFECT_HOME of the server: prefect.db and server.log
    log_path: Path

    @property
    def url(self) -> str:
        """The UI."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"


def server_home(config: ProjectConfig) -> Path:
    return config.project_dir / ".histar" / "prefect"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = SERVER_LOG_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _die_with_parent() -> Callable[[], None] | None:
    """Linux: the child gets SIGTERM if `histar serve` is killed (even with SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)

    return preexec


def _stop(process: subprocess.Popen[bytes], timeout: float = SERVER_STOP_TIMEOUT_SECONDS) -> None:
    """SIGTERM to the server's process group (uvicorn shuts down cleanly), then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)  # start_new_session: group id == pid
        except (ProcessLookupError, PermissionError):
            process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            continue
    if process.poll() is None:
        process.wait()


def _wait_healthy(server: LocalServer, timeout: float) -> float:
    import httpx

    started = time.monotonic()
    deadline = started + timeout
    with httpx.Client(timeout=5) as client:
        while True:
            code = server.process.poll()
            if code is not None:
                raise PrefectServerError(
                    f"the local Prefect server exited with code {code} before it answered "
                    f"{server.api_url}/health; last lines of {server.log_path}:\n"
                    f"{_tail(server.log_path)}"
                )
            try:
                if client.get(f"{server.api_url}/health").status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            if time.monotonic() >= deadline:
                raise PrefectServerError(
                    f"the local Prefect server did not answer {server.api_url}/health within "
                    f"{timeout:g} s; last lines of {server.log_path}:\n{_tail(server.log_path)}"
                )
            time.sleep(0.5)


class _Terminated(SystemExit):
    """SIGTERM outside Prefect's runner: unwind (and stop the child) like Ctrl+C."""


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise _Terminated(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def local_server(
    home: Path, *, timeout: float = SERVER_STARTUP_TIMEOUT_SECONDS
) -> Iterator[LocalServer]:
    """`prefect server start` on a free port of 127.0.0.1 with PREFECT_HOME=`home`.

    Waits (at most `timeout` seconds) until `GET /api/health` answers, and stops the server
    (SIGTERM, then SIGKILL) when the block ends, whatever the reason. Raises
    PrefectServerError with the server's last log lines when it does not come up.
    """
    home.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log_path = home / "server.log"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        # the UI asks the API at PREFECT_SERVER_API_HOST:PORT, not at --host/--port
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    env.pop("PREFECT_API_URL", None)
    env.pop("PREFECT_PROFILE", None)
    command = [sys.executable, "-m", "prefect", "server", "start"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=home,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl+C reaches serve, which stops the server last
            preexec_fn=_die_with_parent(),
        )
    server = LocalServer(process, port, home, log_path)
    try:
        with _sigterm_unwinds():  # Prefect's runner installs its own handler while serving
            seconds = _wait_healthy(server, timeout)
            log.info("local Prefect server (pid %s) up in %.1f s", process.pid, seconds)
            yield server
    finally:
        _stop(process)
        log.info("local Prefect server (pid %s) stopped", process.pid)


@contextmanager
def api_url_set(url: str) -> Iterator[None]:
    """PREFECT_API_URL for this process (settings) and the flow runs it starts (environment)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before


def serve(
    config: ProjectConfig,
    *,
    name: str | None = None,
    say: Callable[[str], None] = log.info,
    server_timeout: float = SERVER_STARTUP_TIMEOUT_SECONDS,
    **options: Any,
) -> None:
    """Serve the scheduled incremental load until stopped (the schedule stays active).

    Uses the Prefect server of PREFECT_API_URL if set; otherwise starts a local one for
    the time of the call (`local_server`). `say` gets one-line progress messages.
    """
    from prefect import serve as prefect_serve

    deployment = build_deployment(config, name=name)
    with ExitStack() as stack:
        if prefect_api_url() is None:
            home = server_home(config)
            say(f"starting a local Prefect server (data and log in {home}) …")
            started = time.monotonic()
            server = stack.enter_context(local_server(home, timeout=server_timeout))
            stack.enter_context(api_url_set(server.api_url))
            say(
                f"Prefect server up in {time.monotonic() - started:.1f} s "
                f"(pid {server.process.pid}); UI at {server.url}"
            )
        prefect_serve(deployment, pause_on_shutdown=False, **options)
