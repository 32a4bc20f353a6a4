"""What the benchmark ran on: machine, library versions, PostgreSQL server."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "histar",
    "duckdb",
    "dbt-core",
    "dbt-duckdb",
    "dbt-postgres",
    "pyarrow",
    "adbc-driver-manager",
    "adbc-driver-postgresql",
    "adbc-driver-sqlite",
    "psycopg",
    "dlt",
    "connectorx",
    "sqlalchemy",
)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cores": os.cpu_count(),
        "memory_gb": None,
        "cpu_model": platform.processor() or None,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    try:
        mem = Path("/proc/meminfo").read_text()
        m = re.search(r"^MemTotal:\s+(\d+) kB", mem, re.M)
        if m:
            info["memory_gb"] = round(int(m.group(1)) / 1024 / 1024, 1)
        cpu = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.+)$", cpu, re.M)
        if m:
            info["cpu_model"] = m.group(1).strip()
    except OSError:
        pass
    return info


def load_average() -> list[float] | None:
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def versions(pg_admin_url: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    if pg_admin_url:
        try:
            import psycopg

            with psycopg.connect(pg_admin_url, connect_timeout=5) as conn:
                out["postgres_server"] = conn.execute("show server_version").fetchone()[0]
        except Exception as exc:
            out["postgres_server"] = f"unreachable: {type(exc).__name__}"
    out["git_commit"] = _git("rev-parse", "HEAD")
    out["git_dirty"] = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return out


def _git(*args: str) -> str | None:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
