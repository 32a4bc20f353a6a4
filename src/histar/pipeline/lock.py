"""One batch at a time per warehouse: a file lock beside a DuckDB file, an advisory lock on PG."""

from __future__ import annotations

import fcntl
import logging
import os
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


class BatchLocked(Exception):
    """Another batch holds the warehouse."""


@contextmanager
def file_lock(path: Path, *, wait: bool) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as f:
        flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(f, flags)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "unknown"
            raise BatchLocked(f"another batch is running on this warehouse ({holder})") from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)


@contextmanager
def pg_lock(url: str, name: str, *, wait: bool) -> Iterator[None]:
    import psycopg

    key = zlib.crc32(f"histar:{name}".encode())
    with psycopg.connect(url, autocommit=True) as con:
        if wait:
            con.execute("select pg_advisory_lock(%s)", (key,))
        else:
            got = con.execute("select pg_try_advisory_lock(%s)", (key,)).fetchone()
            if not got or not got[0]:
                raise BatchLocked("another batch is running on this warehouse (advisory lock)")
        try:
            yield
        finally:
            con.execute("select pg_advisory_unlock(%s)", (key,))
