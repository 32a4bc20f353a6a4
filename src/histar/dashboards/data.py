"""A dashboard's figures for one set of filter values, read from one published batch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pyarrow as pa

from histar.config.model import ProjectConfig
from histar.dashboards.definitions import Dashboard, DashboardError
from histar.dashboards.query import DataVersion, Snapshot, as_date, snapshot

# "all dates": the widest range every engine's date type holds comfortably
ALL_FROM, ALL_TO = date(1900, 1, 1), date(9999, 12, 30)

# a select filter's value: one string or None (= all); a date range: (from, to) inclusive
FilterValue = str | tuple[date, date] | None


@dataclass(frozen=True)
class Choices:
    """What the filters offer: select options and the default date range, per filter."""

    version: DataVersion
    options: dict[str, list[str]]
    bounds: dict[str, tuple[date, date]]


@dataclass(frozen=True)
class DashboardData:
    version: DataVersion
    values: dict[str, FilterValue]
    tables: dict[str, pa.Table]


def param_types(dashboard: Dashboard) -> dict[str, str]:
    types: dict[str, str] = {}
    for f in dashboard.filters:
        for p in f.params:
            types[p] = "date" if f.type == "date_range" else "varchar"
    return types


def bind_values(dashboard: Dashboard, values: Mapping[str, FilterValue]) -> dict[str, Any]:
    """Filter values as query parameters; a date range's upper bound becomes exclusive."""
    out: dict[str, Any] = {}
    for f in dashboard.filters:
        value = values.get(f.name)
        if f.type == "date_range":
            start, end = value if isinstance(value, tuple) else (ALL_FROM, ALL_TO)
            out[f"{f.name}_from"] = start
            out[f"{f.name}_to"] = end + timedelta(days=1)
        else:
            out[f.name] = value if isinstance(value, str) and value != "" else None
    return out


def parse_filters(dashboard: Dashboard, items: Iterable[str]) -> dict[str, FilterValue]:
    """`name=value` pairs (CLI `--filter`, URL); a date range is `YYYY-MM-DD..YYYY-MM-DD`
    (either side may be empty)."""
    values: dict[str, FilterValue] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep:
            raise DashboardError(f"--filter {item!r}: expected name=value")
        try:
            f = dashboard.filter(name)
        except KeyError:
            known = ", ".join(f.name for f in dashboard.filters) or "none"
            raise DashboardError(
                f"--filter {item!r}: dashboard {dashboard.name} has no filter {name!r} "
                f"(filters: {known})"
            ) from None
        if f.type == "date_range":
            start, dots, end = raw.partition("..")
            if not dots:
                raise DashboardError(f"--filter {item!r}: expected {name}=YYYY-MM-DD..YYYY-MM-DD")
            try:
                lo = date.fromisoformat(start.strip()) if start.strip() else ALL_FROM
                hi = date.fromisoformat(end.strip()) if end.strip() else ALL_TO
            except ValueError as exc:
                raise DashboardError(f"--filter {item!r}: {exc}") from None
            if hi < lo:
                raise DashboardError(f"--filter {item!r}: the range ends before it starts")
            values[name] = (lo, hi)
        else:
            values[name] = raw if raw != "" else None
    return values


def describe_filters(dashboard: Dashboard, values: Mapping[str, FilterValue]) -> str:
    parts = []
    for f in dashboard.filters:
        v = values.get(f.name)
        if isinstance(v, tuple):
            lo = "" if v[0] == ALL_FROM else v[0].isoformat()
            hi = "" if v[1] == ALL_TO else v[1].isoformat()
            parts.append(f"{f.label}: {lo or '…'} – {hi or '…'}")
        elif v:
            parts.append(f"{f.label}: {v}")
    return "; ".join(parts) if parts else "no filters"


def read_choices(snap: Snapshot, dashboard: Dashboard) -> Choices:
    options: dict[str, list[str]] = {}
    bounds: dict[str, tuple[date, date]] = {}
    for f in dashboard.filters:
        if f.type == "select" and f.options_sql:
            options[f.name] = [str(r[0]) for r in snap.rows(f.options_sql) if r[0] is not None]
        elif f.type == "date_range" and f.bounds_sql:
            rows = snap.rows(f.bounds_sql)
            lo, hi = (as_date(rows[0][0]), as_date(rows[0][1])) if rows else (None, None)
            today = date.today()
            bounds[f.name] = (lo or today, hi or lo or today)
    return Choices(snap.version, options, bounds)


def filter_choices(config: ProjectConfig, dashboard: Dashboard) -> Choices:
    with snapshot(config) as snap:
        return read_choices(snap, dashboard)


def read_tables(
    snap: Snapshot, dashboard: Dashboard, values: Mapping[str, FilterValue]
) -> DashboardData:
    params, types = bind_values(dashboard, values), param_types(dashboard)
    tables = {t.id: snap.run(t.sql, params, types) for t in dashboard.tiles}
    return DashboardData(snap.version, dict(values), tables)


def load_data(
    config: ProjectConfig, dashboard: Dashboard, values: Mapping[str, FilterValue] | None = None
) -> DashboardData:
    """Every tile of the dashboard, read from one snapshot of the published warehouse."""
    with snapshot(config) as snap:
        return read_tables(snap, dashboard, values or {})
