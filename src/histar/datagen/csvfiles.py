"""Agency CSV deliveries of user_traffic: valid rows written by pyarrow, then 3 broken lines."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from histar.datagen.results import CsvFile
from histar.datagen.schema import CSV_TABLE, CSV_VISIT_ID_OFFSET, TABLES_BY_NAME

COLUMNS = TABLES_BY_NAME[CSV_TABLE].column_names
FILE_RE = re.compile(r"^user_traffic_(?P<agency>[a-z0-9]+)_(?P<n>\d+)\.csv$")
BAD_ROWS = 3


def existing(csv_dir: Path) -> list[tuple[int, Path]]:
    """Agency files already delivered, by number."""
    if not csv_dir.is_dir():
        return []
    found = [(FILE_RE.match(p.name), p) for p in csv_dir.iterdir()]
    return sorted((int(m["n"]), p) for m, p in found if m)


def last_visit_id(path: Path) -> int:
    """The largest visit_id in a delivery, read from its last lines (ids grow through a file)."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        fh.seek(max(0, fh.tell() - 65536))
        tail = fh.read().splitlines()[1:]
    ids = [int(f) for line in tail if (f := line.split(b",", 1)[0].strip()).isdigit()]
    return max(ids, default=CSV_VISIT_ID_OFFSET)


def next_file(csv_dir: Path) -> tuple[int, int]:
    """(next file number, next visit id) after the files already in ``csv_dir``."""
    files = existing(csv_dir)
    if not files:
        return 1, CSV_VISIT_ID_OFFSET + 1
    return files[-1][0] + 1, max(last_visit_id(p) for _, p in files) + 1


def _text(table: pa.Table) -> pa.Table:
    """Timestamps as ``YYYY-MM-DD HH:MM:SS``."""
    cols = [c.cast(pa.string()) if pa.types.is_timestamp(c.type) else c for c in table.columns]
    return pa.table(cols, names=table.column_names)


def bad_lines(first_id: int, sample: dict[str, object]) -> list[tuple[str, bytes]]:
    """Three broken rows built from a valid one: deterministic, ids continue the file's range."""
    user, source = sample["user_id"], sample["traffic_source_id"]
    visited = str(sample["visited_at"]).replace("T", " ")
    return [
        ("missing_column", f"{first_id},{user},{source},{visited}\n".encode()),
        (
            "non_numeric_user_id",
            f"{first_id + 1},user-{user},{source},{visited},spring_sale\n".encode(),
        ),
        (
            "invalid_utf8",
            f"{first_id + 2},{user},{source},{visited},".encode() + b"promo_\xff\xfe_2025\n",
        ),
    ]


def write(path: Path, agency: str, number: int, chunks: Iterable[pa.Table]) -> CsvFile:
    """Write the valid rows (header first), then append the three bad lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    good, first_id, last_id, sample = 0, 0, 0, None
    with pa.OSFile(str(path), "wb") as sink:
        sink.write((",".join(COLUMNS) + "\n").encode())  # pyarrow would quote the names
        writer: pacsv.CSVWriter | None = None
        for chunk in chunks:
            text = _text(chunk.select(COLUMNS))
            if writer is None:
                options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
                writer = pacsv.CSVWriter(sink, text.schema, write_options=options)
            writer.write_table(text)
            if len(chunk):
                ids = chunk.column("visit_id")
                first_id = first_id or ids[0].as_py()
                last_id = ids[-1].as_py()
                sample = sample or chunk.slice(0, 1).to_pylist()[0]
                good += len(chunk)
        if writer is None or sample is None:
            raise ValueError("a CSV delivery needs at least one valid row")
        writer.close()
    broken = bad_lines(last_id + 1, sample)
    with path.open("ab") as fh:
        for _, line in broken:
            fh.write(line)
    return CsvFile(
        path=path,
        agency=agency,
        number=number,
        good_rows=good,
        bad_rows=len(broken),
        bad_lines={kind: good + 2 + i for i, (kind, _) in enumerate(broken)},
        first_visit_id=first_id,
        last_visit_id=last_id + len(broken),
    )
