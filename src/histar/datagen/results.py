"""What generate() and apply_changes() report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class CsvFile:
    """One agency delivery: ``good_rows`` valid rows plus ``bad_rows`` deliberately broken ones.

    ``bad_lines`` are 1-based line numbers in the file (line 1 is the header), keyed by the
    defect: ``missing_column``, ``non_numeric_user_id``, ``invalid_utf8``.
    """

    path: Path
    agency: str
    number: int
    good_rows: int
    bad_rows: int
    bad_lines: dict[str, int]
    first_visit_id: int
    last_visit_id: int

    @property
    def rows(self) -> int:
        return self.good_rows + self.bad_rows


@dataclass(frozen=True)
class GenerateResult:
    tables: dict[str, int]  # rows written per source table
    csv_files: list[CsvFile]
    seconds: float
    seed: int
    as_of: datetime

    @property
    def table_rows(self) -> int:
        return sum(self.tables.values())

    @property
    def csv_rows(self) -> int:
        return sum(f.rows for f in self.csv_files)

    @property
    def total_rows(self) -> int:
        return self.table_rows + self.csv_rows


@dataclass(frozen=True)
class TableChange:
    updated: int = 0
    inserted: int = 0
    deleted: int = 0

    @property
    def total(self) -> int:
        return self.updated + self.inserted + self.deleted


@dataclass(frozen=True)
class ChangeResult:
    changes: dict[str, TableChange]  # per source table (all nine keys present)
    csv_file: CsvFile
    now: datetime
    seconds: float
    details: dict[str, list[int]] = field(default_factory=dict)  # ids touched, by change kind

    @property
    def total(self) -> int:
        return sum(c.total for c in self.changes.values())
