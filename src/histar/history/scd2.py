"""SCD type 2 history in set-based SQL that runs on DuckDB and PostgreSQL alike.

Per source table and batch, two or three statements inside the batch's transaction:
1. close the current versions whose row changed or (snapshot mode) disappeared — or, for
   incremental tables with `detect_deletes`, whose key is no longer in the source's key list;
2. insert a new version for every extracted row that has no identical current version.
Every version carries `start_date`, `end_date` (current: 9999-12-31), `source_id_audit`,
`insert_id` (the batch that inserted it) and `update_id` (the batch that closed it), so one
batch's effect can always be undone exactly (`undo_batch`) and the warehouse can be read as
of any batch (`as_of_batch_sql`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from histar.warehouse.connection import Warehouse, qualify, quote

log = logging.getLogger(__name__)

CURRENT = "timestamp '9999-12-31 00:00:00'"
AUDIT_COLUMNS = ("start_date", "end_date", "source_id_audit", "insert_id", "update_id")


class HistoryError(Exception):
    """The extracted rows cannot be merged into the history (schema conflict, duplicate keys)."""


@dataclass(frozen=True)
class MergeResult:
    inserted: int
    closed: int


def ts_literal(ts: datetime) -> str:
    return f"timestamp '{ts.strftime('%Y-%m-%d %H:%M:%S.%f')}'"


def data_columns(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Source columns only: raw's `_batch_id`, `_source_id`, `_file` and the audit columns go."""
    return [(n, t) for n, t in columns if not n.startswith("_") and n not in AUDIT_COLUMNS]


def ensure_history_table(
    wh: Warehouse, raw: tuple[str, str], history: tuple[str, str], keys: list[str]
) -> list[tuple[str, str]]:
    """Create the history table on first sight; add columns the source has gained since."""
    raw_cols = data_columns(wh.columns(*raw))
    missing_keys = [k for k in keys if k not in {n for n, _ in raw_cols}]
    if missing_keys:
        raise HistoryError(f"{raw[1]}: primary key column(s) {missing_keys} not in the extract")
    target = qualify(*history)
    if not wh.table_exists(*history):
        select = ", ".join(quote(n) for n, _ in raw_cols)
        wh.sql(
            f"create table {target} as select {select}, cast(null as timestamp) as start_date, "
            "cast(null as timestamp) as end_date, cast(null as integer) as source_id_audit, "
            "cast(null as bigint) as insert_id, cast(null as bigint) as update_id "
            f"from {qualify(*raw)} where 1 = 0"
        )
        if wh.dialect == "postgres":
            # DuckDB's hash joins need no index, and its ART index costs time and memory
            # on every insert; PostgreSQL's merge joins look current versions up by key.
            key_list = ", ".join(quote(k) for k in keys)
            index = f"{history[1]}__current"
            wh.sql(
                f"create index {quote(index)} on {target} (source_id_audit, {key_list}, end_date)"
            )
        log.info("created history table %s", target)
    known = {n for n, _ in data_columns(wh.columns(*history))}
    for name, typ in raw_cols:
        if name not in known:
            wh.sql(f"alter table {target} add column {quote(name)} {typ}")
            log.warning(
                "%s: the source gained column %s (%s); older versions have NULL", target, name, typ
            )
    return data_columns(wh.columns(*history))


def merge(
    wh: Warehouse,
    *,
    raw: tuple[str, str],
    history: tuple[str, str],
    keys: list[str],
    incremental: bool,
    source_id: int,
    batch_id: int,
    ts: datetime,
    present_keys: tuple[str, str] | None = None,
) -> MergeResult:
    """`present_keys` (incremental tables): a table of every key the source still has; the
    current versions of other keys, unless extracted this batch, are closed as deleted."""
    hist_cols = ensure_history_table(wh, raw, history, keys)
    raw_types = dict(data_columns(wh.columns(*raw)))

    def raw_expr(name: str, typ: str) -> str:
        if name not in raw_types:
            return f"cast(null as {typ})"
        if raw_types[name].lower() != typ.lower():
            return f"cast(r.{quote(name)} as {typ})"
        return f"r.{quote(name)}"

    h_target, r_target = qualify(*history), qualify(*raw)
    key_match = " and ".join(f"h.{quote(k)} = r.{quote(k)}" for k in keys)
    same_row = " and ".join(
        f"h.{quote(n)} is not distinct from {raw_expr(n, t)}" for n, t in hist_cols
    )
    current = f"h.source_id_audit = {source_id} and h.end_date = {CURRENT}"
    close = _Closer(wh, history, keys, source_id, batch_id, ts)
    present = f" and exists (select 1 from {r_target} r where {key_match})" if incremental else ""
    closed = close(
        f"{present} and not exists (select 1 from {r_target} r where {key_match} and {same_row})"
    )
    if present_keys is not None:
        k_match = " and ".join(f"k.{quote(k)} = h.{quote(k)}" for k in keys)
        closed += close(
            f" and not exists (select 1 from {qualify(*present_keys)} k where {k_match})"
            f" and not exists (select 1 from {r_target} r where {key_match})"
        )
    columns = ", ".join(quote(n) for n, _ in hist_cols)
    values = ", ".join(raw_expr(n, t) for n, t in hist_cols)
    inserted = wh.sql(
        f"insert into {h_target} ({columns}, start_date, end_date, source_id_audit, insert_id, "
        f"update_id) select {values}, {ts_literal(ts)}, {CURRENT}, {source_id}, {batch_id}, "
        f"cast(null as bigint) from {r_target} r "
        f"where not exists (select 1 from {h_target} h where {current} and {key_match} "
        f"and {same_row})"
    )
    return MergeResult(inserted=max(inserted, 0), closed=closed)


@dataclass(frozen=True)
class _Closer:
    """Closes the current versions (alias `h`) of one source that match a condition."""

    wh: Warehouse
    history: tuple[str, str]
    keys: list[str]
    source_id: int
    batch_id: int
    ts: datetime

    def __call__(self, condition: str) -> int:
        h, target, src = quote(self.history[1]), qualify(*self.history), self.source_id
        closed = self.wh.sql(
            f"update {target} set end_date = {ts_literal(self.ts)}, update_id = {self.batch_id} "
            f"from (select {', '.join('h.' + quote(k) for k in self.keys)} from {target} h "
            f"where h.source_id_audit = {src} and h.end_date = {CURRENT}{condition}) c "
            f"where {h}.source_id_audit = {src} and {h}.end_date = {CURRENT} and "
            + " and ".join(f"{h}.{quote(k)} = c.{quote(k)}" for k in self.keys)
        )
        return max(closed, 0)


def check_one_current(
    wh: Warehouse, history: tuple[str, str], keys: list[str], batch_id: int | None = None
) -> None:
    """Refuse to publish two current versions of one key (duplicate keys in an extract).
    With `batch_id` (incremental batches) only the keys that batch inserted are checked: they
    alone can have gained a second current version, so the check costs what the batch
    changed, not the table's size."""
    key_list = ", ".join(quote(k) for k in keys)
    scope = ""
    if batch_id is not None:
        touched = " and ".join(f"t.{quote(k)} = h.{quote(k)}" for k in keys)
        scope = (
            f" and exists (select 1 from {qualify(*history)} t "
            f"where t.insert_id = {batch_id} and {touched})"
        )
    dupes = wh.query(
        f"select h.source_id_audit, {', '.join('h.' + quote(k) for k in keys)}, count(*) "
        f"from {qualify(*history)} h where h.end_date = {CURRENT}{scope} "
        f"group by h.source_id_audit, {', '.join('h.' + quote(k) for k in keys)} "
        "having count(*) > 1 limit 3"
    )
    if dupes:
        raise HistoryError(
            f"{history[1]}: the extract has duplicate keys {key_list}, e.g. {dupes[0][1:-1]}; "
            "nothing was published"
        )


def undo_batch(wh: Warehouse, history: tuple[str, str], batch_id: int) -> None:
    """Put a history table back as the previous batch left it."""
    target = qualify(*history)
    wh.sql(f"delete from {target} where insert_id = {batch_id}")
    wh.sql(
        f"update {target} set end_date = {CURRENT}, update_id = cast(null as bigint) "
        f"where update_id = {batch_id}"
    )


def as_of_batch_sql(history: tuple[str, str], batch_id: int) -> str:
    """The rows of the source as extracted by batch `batch_id` (documented in the README)."""
    return (
        f"select * from {qualify(*history)} where insert_id <= {batch_id} "
        f"and (update_id is null or update_id > {batch_id})"
    )


def as_of_time_sql(history: tuple[str, str], ts: datetime) -> str:
    lit = ts_literal(ts)
    return f"select * from {qualify(*history)} where start_date <= {lit} and {lit} < end_date"
