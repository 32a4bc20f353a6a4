"""Shared fixtures: fresh PostgreSQL databases per test, created and dropped here."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

PG_ADMIN_URL = os.environ.get("HISTAR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _with_db(url: str, dbname: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{dbname}"


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=5) as conn:
            conn.execute("select 1")
    except psycopg.OperationalError as exc:  # pragma: no cover - CI starts the server
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
    return PG_ADMIN_URL


@pytest.fixture
def pg_database(pg_admin_url: str) -> Iterator[str]:
    """A new, empty database; yields its URL and drops it afterwards."""
    name = f"histar_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        yield _with_db(pg_admin_url, name)
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def pg_database_factory(pg_admin_url: str) -> Iterator:
    """Call it to get more fresh databases (source and warehouse on separate databases)."""
    names: list[str] = []

    def make() -> str:
        name = f"histar_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        names.append(name)
        return _with_db(pg_admin_url, name)

    yield make
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'drop database if exists "{name}" with (force)')
