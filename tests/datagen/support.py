"""Helpers for the generator tests: a tiny SQL reader independent of the generator."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from histar.datagen import TABLES_BY_NAME, GenerateResult, parse_source_url

ROWS = 3_000
AS_OF = datetime(2026, 1, 1)


class Db:
    """Reads a source by URL with the stdlib/psycopg drivers (independent of the generator)."""

    def __init__(self, url: str) -> None:
        self.url = parse_source_url(url)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.url.dialect == "sqlite":
            with closing(sqlite3.connect(self.url.path)) as conn:
                return conn.execute(sql).fetchall()
        with psycopg.connect(self.url.uri) as conn:
            return conn.execute(sql).fetchall()

    def scalar(self, sql: str) -> Any:
        return self.rows(sql)[0][0]

    def normalised(self, table: str) -> list[tuple[Any, ...]]:
        """All rows ordered by key, timestamps as text and money as 2-decimal strings."""
        spec = TABLES_BY_NAME[table]
        kinds = [kind for _, kind in spec.columns]
        rows = self.rows(f"select * from {table} order by {spec.primary_key[0]}")
        return [tuple(_norm(v, k) for v, k in zip(row, kinds, strict=True)) for row in rows]


def _norm(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "timestamp" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if kind.startswith("numeric"):
        return f"{Decimal(str(value)):.2f}"
    return value


@dataclass
class Generated:
    url: str
    csv_dir: Path
    result: GenerateResult
    db: Db
