"""SCD2 history: every source table's full history in the warehouse schema."""

from histar.history.scd2 import (
    AUDIT_COLUMNS,
    HistoryError,
    MergeResult,
    as_of_batch_sql,
    as_of_time_sql,
    check_one_current,
    merge,
    undo_batch,
)

__all__ = [
    "AUDIT_COLUMNS",
    "HistoryError",
    "MergeResult",
    "as_of_batch_sql",
    "as_of_time_sql",
    "check_one_current",
    "merge",
    "undo_batch",
]
