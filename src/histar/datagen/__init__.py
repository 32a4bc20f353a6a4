"""histar.datagen: deterministic synthetic source data for the online-course business.

``generate`` writes the nine source tables (SQLite or PostgreSQL) and agency CSV files;
``apply_changes`` applies one realistic change batch to drive incremental runs.
The generators load NumPy and the database drivers, so they are imported on first use:
``histar.datagen.schema`` (the table contract) stays cheap to import.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from histar.datagen.schema import CSV_TABLE, CSV_VISIT_ID_OFFSET, TABLES, TABLES_BY_NAME, Table

if TYPE_CHECKING:
    from histar.datagen.changes import apply_changes
    from histar.datagen.generator import generate
    from histar.datagen.results import ChangeResult, CsvFile, GenerateResult, TableChange
    from histar.datagen.source import SourceUrl, parse_source_url

_LAZY = {
    "apply_changes": "histar.datagen.changes",
    "generate": "histar.datagen.generator",
    "ChangeResult": "histar.datagen.results",
    "CsvFile": "histar.datagen.results",
    "GenerateResult": "histar.datagen.results",
    "TableChange": "histar.datagen.results",
    "SourceUrl": "histar.datagen.source",
    "parse_source_url": "histar.datagen.source",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'histar.datagen' has no attribute {name!r}")


__all__ = [
    "CSV_TABLE",
    "CSV_VISIT_ID_OFFSET",
    "TABLES",
    "TABLES_BY_NAME",
    "ChangeResult",
    "CsvFile",
    "GenerateResult",
    "SourceUrl",
    "Table",
    "TableChange",
    "apply_changes",
    "generate",
    "parse_source_url",
]
