"""Batches: extract → history → star → publish, with `ops` bookkeeping, locking and undo."""

from histar.pipeline.batch import (
    STEPS,
    Batch,
    BatchFailed,
    BatchResult,
    NotLoaded,
    TableStats,
    abort,
    begin,
    extract,
    history,
    publish,
    run_batch,
    star,
    warehouse_lock,
)
from histar.pipeline.inspect import row_history, status
from histar.pipeline.lock import BatchLocked
from histar.pipeline.reset import reset

__all__ = [
    "STEPS",
    "Batch",
    "BatchFailed",
    "BatchLocked",
    "BatchResult",
    "NotLoaded",
    "TableStats",
    "abort",
    "begin",
    "extract",
    "history",
    "publish",
    "reset",
    "row_history",
    "run_batch",
    "star",
    "status",
    "warehouse_lock",
]
