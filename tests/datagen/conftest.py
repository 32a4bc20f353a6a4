"""Fixtures for the generator tests: small generated sources."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from histar.datagen import generate

from .support import AS_OF, ROWS, Db, Generated


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """One small SQLite source shared by the read-only tests of a module."""
    base = tmp_path_factory.mktemp("src")
    url = f"sqlite:///{base}/nested/source.sqlite"
    result = generate(url, base / "csv", rows=ROWS, seed=42, as_of=AS_OF)
    return Generated(url, base / "csv", result, Db(url))


@pytest.fixture
def make_source(tmp_path: Path) -> Callable[..., Generated]:
    """Generate a fresh source (SQLite under tmp_path unless a URL is given)."""

    def make(url: str | None = None, name: str = "a", **kwargs: Any) -> Generated:
        url = url or f"sqlite:///{tmp_path}/{name}/source.sqlite"
        csv_dir = tmp_path / name / "csv"
        kwargs = {"rows": ROWS, "as_of": AS_OF, **kwargs}
        return Generated(url, csv_dir, generate(url, csv_dir, **kwargs), Db(url))

    return make
