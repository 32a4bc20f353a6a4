"""histar.datagen: deterministic synthetic source data for the online-course business.

``generate`` writes the nine source tables (SQLite or PostgreSQL) and agency CSV files;
``apply_changes`` applies one realistic change batch to drive incremental runs.
"""

from histar.datagen.changes import apply_changes
from histar.datagen.generate import generate
from histar.datagen.results import ChangeResult, CsvFile, GenerateResult, TableChange
from histar.datagen.schema import CSV_TABLE, CSV_VISIT_ID_OFFSET, TABLES, TABLES_BY_NAME, Table
from histar.datagen.source import SourceUrl, parse_source_url

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
