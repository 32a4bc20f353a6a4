"""Run the packaged dbt project (staging -> star schema) in-process.

``dbt_build`` writes a ``profiles.yml`` for profile ``histar`` into a work directory (never a
password: it goes through the environment variable ``HISTAR_DBT_PASSWORD`` and ``env_var()``),
runs ``dbt build`` with ``dbtRunner``, logs one line per node through :mod:`logging` and returns
a :class:`BuildResult`, or raises :class:`TransformError` naming the failing nodes.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PASSWORD_ENV = "HISTAR_DBT_PASSWORD"
PROFILE_NAME = "histar"
TARGET_NAME = "histar"

# dbt keeps global state (flags, adapter registry, event manager): one invocation at a time.
_DBT_LOCK = threading.Lock()

_FAILED_STATUSES = {"error", "fail", "runtime error"}
_MAX_MESSAGE_LINES = 6
_MAX_FAILURES_IN_MESSAGE = 5
_WRAPPER_LINE = re.compile(r"^(Runtime|Database|Compilation) Error in \w+ \S+ \(.*\)$")


@dataclass
class BuildResult:
    success: bool
    seconds: float
    models: int
    tests: int
    failures: list[str] = field(default_factory=list)


class TransformError(Exception):
    """dbt build failed; the message names the failing node(s) and dbt's error (first lines)."""

    def __init__(self, message: str, result: BuildResult | None = None) -> None:
        super().__init__(message)
        self.result = result


def default_project_dir() -> Path:
    """The dbt project shipped inside the package."""
    return Path(__file__).resolve().parent / "dbt"


def _first_lines(text: str | None, n: int = _MAX_MESSAGE_LINES) -> str:
    lines = [line.rstrip() for line in (text or "").strip().splitlines() if line.strip()]
    out = "\n".join(lines[:n])
    return out + ("\n..." if len(lines) > n else "")


def write_profiles(work_dir: Path, target: dict[str, Any], vars: dict[str, Any]) -> dict[str, str]:
    """Write ``work_dir/profiles.yml``; return the environment variables dbt needs.

    The password (if any) is replaced by ``{{ env_var('HISTAR_DBT_PASSWORD') }}``.
    """
    output = {k: v for k, v in target.items() if v is not None}
    env: dict[str, str] = {}
    if "type" not in output:
        raise ValueError("target needs a 'type' (duckdb, postgres, ...)")
    has_password = "password" in target or "pass" in target
    password = output.pop("password", None) or output.pop("pass", None) or ""
    if password or has_password or output["type"] != "duckdb":
        # server adapters require the key even when the server trusts the client
        env[PASSWORD_ENV] = str(password)
        output["password"] = "{{ env_var('" + PASSWORD_ENV + "', '') }}"
    output.setdefault("threads", 1)
    if output["type"] == "duckdb":
        output.setdefault("path", str(work_dir / "histar.duckdb"))
        output.setdefault("schema", "main")
    else:
        output.setdefault("schema", vars.get("star_schema", "star_schema"))
    profiles = {PROFILE_NAME: {"target": TARGET_NAME, "outputs": {TARGET_NAME: output}}}
    # JSON is YAML: no YAML writer needed and nothing to escape by hand.
    (work_dir / "profiles.yml").write_text(json.dumps(profiles, indent=2) + "\n")
    return env


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _release_duckdb() -> None:
    """dbt-duckdb caches its database handle at class level; close it so the file is free."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - adapter not installed
        return
    with DuckDBConnectionManager._LOCK:
        env = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if env is not None:
            try:
                env.close()
            except Exception:  # pragma: no cover - best effort
                log.debug("closing the dbt-duckdb environment failed", exc_info=True)


def _log_event(event: Any) -> None:
    """dbtRunner callback: one log line per finished node."""
    try:
        if event.info.name != "NodeFinished":
            return
        info = event.data.node_info
        run_result = event.data.run_result
        status = info.node_status or run_result.status
        level = logging.WARNING if status in _FAILED_STATUSES else logging.INFO
        log.log(
            level,
            "dbt %s %s: %s in %.2fs",
            info.resource_type,
            info.node_name,
            status,
            run_result.execution_time or 0.0,
        )
    except Exception:  # pragma: no cover - logging must never break a build
        log.debug("could not log dbt event", exc_info=True)


def _build_args(
    project_dir: Path,
    work_dir: Path,
    vars: dict[str, Any],
    full_refresh: bool,
    select: str | None,
) -> list[str]:
    args = [
        "build",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(work_dir),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
        "--vars",
        json.dumps(vars),
        # partial parsing (manifest cached in target/) saves ~2 s a batch while vars stay
        # the same; the pipeline's vars do not change from batch to batch.
        "--log-level",
        "none",
        "--log-level-file",
        "info",
        "--no-use-colors",
        "--no-send-anonymous-usage-stats",
        # manifest.json and run_results.json cost ~2 s at scale; the results come back in-process
        "--no-write-json",
        "--no-version-check",
    ]
    if full_refresh:
        args.append("--full-refresh")
    if select:
        # only tests whose parents are all selected (a relationships test of an unbuilt fact
        # would otherwise run against a missing table)
        args += ["--select", select, "--indirect-selection", "cautious"]
    return args


def _summarize(run_results: Any) -> tuple[int, int, list[str]]:
    models = tests = skipped = 0
    failures: list[str] = []
    for r in getattr(run_results, "results", None) or []:
        node = r.node
        status = str(getattr(r.status, "value", r.status))
        skipped += status == "skipped"
        if node.resource_type == "model" and status == "success":
            models += 1
        elif node.resource_type in ("test", "unit_test"):
            tests += 1
        if status in _FAILED_STATUSES:
            # dbt's message starts with "Runtime Error in test <name> (<path>)": keep the cause
            lines = [
                line
                for line in (r.message or "").splitlines()
                if line.strip() and not _WRAPPER_LINE.match(line.strip())
            ]
            detail = _first_lines("\n".join(lines), 3)
            if status == "fail" and r.failures:
                detail = f"{r.failures} failing row(s)"
            path = getattr(node, "original_file_path", "")
            failures.append(f"{node.resource_type} {node.name} ({path}) [{status}]: {detail}")
    if failures and skipped:
        failures.append(f"({skipped} downstream node(s) skipped)")
    return models, tests, failures


def dbt_build(
    *,
    project_dir: Path,
    work_dir: Path,
    target: dict[str, Any],
    vars: dict[str, Any],
    full_refresh: bool = False,
    select: str | None = None,
) -> BuildResult:
    """Run ``dbt build`` on ``target`` (a dbt profile output dict) and return a summary.

    ``vars`` are the project vars (history_schema, staging_schema, star_schema).
    Raises :class:`TransformError` when a model or test fails or dbt cannot run.
    """
    from dbt.cli.main import dbtRunner

    project_dir = Path(project_dir).resolve()
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    env = write_profiles(work_dir, target, vars)
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    args = _build_args(project_dir, work_dir, vars, full_refresh, select)
    log.info(
        "dbt build (%s%s%s) starting",
        target.get("type"),
        ", full refresh" if full_refresh else "",
        f", select {select}" if select else "",
    )
    started = time.perf_counter()
    with _DBT_LOCK, _environment(env):
        try:
            res = dbtRunner(callbacks=[_log_event]).invoke(args)
        finally:
            if target.get("type") == "duckdb":
                _release_duckdb()
    seconds = time.perf_counter() - started
    models, tests, failures = _summarize(res.result)
    result = BuildResult(
        success=bool(res.success), seconds=seconds, models=models, tests=tests, failures=failures
    )
    if res.exception is not None and not failures:
        failures.append(f"dbt: {_first_lines(str(res.exception))}")
    if not res.success:
        result.success = False
        if not failures:
            failures.append("dbt build failed (see logs in " + str(work_dir / "logs") + ")")
        shown = failures[:_MAX_FAILURES_IN_MESSAGE]
        if len(failures) > len(shown):
            shown.append(f"... and {len(failures) - len(shown)} more (BuildResult.failures)")
        message = "dbt build failed:\n" + "\n".join(shown)
        log.error("%s\n(after %.1fs; dbt log: %s)", message, seconds, work_dir / "logs")
        raise TransformError(message, result)
    log.info(
        "dbt build finished in %.1fs: %d models, %d tests", seconds, result.models, result.tests
    )
    return result
