"""Read partner CSV files with declared columns and types; quarantine the rows that do not fit.

DuckDB's CSV reader does the parsing and keeps every rejected line with its line number,
error and raw text (`store_rejects`), so a bad row never stops the good ones from loading.
"""

from __future__ import annotations

import glob
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from histar.config.model import CsvSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CsvFile:
    path: Path
    sha256: str
    size: int


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_files(source: CsvSource, project_dir: Path) -> list[CsvFile]:
    pattern = source.path if Path(source.path).is_absolute() else str(project_dir / source.path)
    paths = sorted(Path(p) for p in glob.glob(pattern))
    return [CsvFile(p, file_sha256(p), p.stat().st_size) for p in paths if p.is_file()]


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _columns_struct(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"{_sql_str(k)}: {_sql_str(v)}" for k, v in columns.items()) + "}"


@dataclass
class CsvScan:
    """One scan over a batch's new files: the good rows as a stream, then the rejects."""

    con: duckdb.DuckDBPyConnection
    reader: pa.RecordBatchReader

    def rejects(self) -> pa.Table:
        """Rejected lines (file, line, reason, raw text); complete once `reader` is consumed."""
        return self.con.sql(
            """
            select s.file_path as file_path, e.line as line,
                   string_agg(e.error_type || ': ' || e.error_message, '; ' order by e.column_idx)
                       as reason,
                   any_value(e.csv_line) as raw_text
            from csv_rejects e join csv_scans s using (scan_id, file_id)
            group by s.file_path, e.line
            order by s.file_path, e.line
            """
        ).to_arrow_table()


@contextmanager
def scan_csv(
    files: list[CsvFile], source: CsvSource, *, batch_id: int, batch_rows: int = 250_000
) -> Iterator[CsvScan]:
    con = duckdb.connect()
    try:
        names = "[" + ", ".join(_sql_str(str(f.path)) for f in files) + "]"
        options = (
            f"columns = {_columns_struct(source.columns)}, header = {str(source.header).lower()}, "
            f"delim = {_sql_str(source.delimiter)}, quote = '\"', escape = '\"', "
            "auto_detect = false, filename = true, store_rejects = true, "
            "rejects_table = 'csv_rejects', rejects_scan = 'csv_scans', "
            "null_padding = false, strict_mode = true"
        )
        rel = con.sql(
            f"select * exclude (filename), filename as _file, "
            f"cast({batch_id} as bigint) as _batch_id, cast({source.id} as integer) as _source_id "
            f"from read_csv({names}, {options})"
        )
        yield CsvScan(con, rel.to_arrow_reader(batch_rows))
    finally:
        con.close()
