"""The Streamlit page behind `histar dashboard` (run: streamlit run app.py -- --project DIR).

Every run asks the warehouse which batch is published (one tiny query) and reads the tiles
through a cache keyed on (dashboard, filter values, batch id): a new publish misses the
cache, so the page shows the new batch at the next interaction or reload. All tiles of a
page come from one snapshot, so the page never mixes two batches.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

import streamlit as st

from histar.config import ConfigError, load_config
from histar.config.model import ProjectConfig
from histar.dashboards.charts import _rows, format_value, frame, kpi_values, pivot_frame, xy_chart
from histar.dashboards.data import (
    Choices,
    DashboardData,
    FilterValue,
    filter_choices,
    load_data,
    parse_filters,
)
from histar.dashboards.definitions import Dashboard, DashboardError, Tile, load_dashboards
from histar.dashboards.query import NotPublished, data_version

CACHE_TTL = 600  # seconds; results are keyed on the batch id anyway
ALL = "All"


def project_dir() -> Path:
    """`HISTAR_PROJECT`, else `-- --project DIR` after `streamlit run app.py`.

    The environment wins: under test runners sys.argv holds the runner's own options.
    """
    if os.environ.get("HISTAR_PROJECT"):
        return Path(os.environ["HISTAR_PROJECT"]).resolve()
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--project", default=None)
    args, _ = parser.parse_known_args(sys.argv[1:])
    return Path(args.project or ".").resolve()


def _config(project: str) -> ProjectConfig:
    return load_config(Path(project))


def _dashboard(project: str, name: str) -> Dashboard:
    for d in load_dashboards(_config(project)):
        if d.name == name:
            return d
    raise DashboardError(f"no dashboard named {name!r}")


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def cached_choices(project: str, name: str, batch_id: int) -> Choices:
    return filter_choices(_config(project), _dashboard(project, name))


@st.cache_data(ttl=CACHE_TTL, show_spinner="Loading…")
def cached_data(
    project: str, name: str, values: tuple[tuple[str, FilterValue], ...], batch_id: int
) -> DashboardData:
    return load_data(_config(project), _dashboard(project, name), dict(values))


def _initial_values(dashboard: Dashboard) -> dict[str, FilterValue]:
    """Filters given in the URL (`?category=Data&date_range=2025-01-01..2025-06-30`)."""
    items = [
        f"{k}={st.query_params[k]}"
        for k in st.query_params
        if k in {f.name for f in dashboard.filters}
    ]
    try:
        return parse_filters(dashboard, items)
    except DashboardError as exc:
        st.warning(str(exc))
        return {}


def filter_widgets(dashboard: Dashboard, choices: Choices) -> dict[str, FilterValue]:
    initial = _initial_values(dashboard)
    values: dict[str, FilterValue] = {}
    for f in dashboard.filters:
        key = f"f_{f.name}"
        if f.type == "select":
            options = [ALL, *choices.options.get(f.name, [])]
            start = initial.get(f.name)
            index = options.index(start) if isinstance(start, str) and start in options else 0
            picked = st.sidebar.selectbox(f.label, options, index=index, key=key)
            values[f.name] = None if picked == ALL else picked
        else:
            lo, hi = choices.bounds[f.name]
            start = initial.get(f.name)
            a, b = start if isinstance(start, tuple) else (lo, hi)
            a, b = max(min(a, hi), lo), min(max(b, lo), hi)
            first = st.sidebar.date_input(f"{f.label} from", a, lo, hi, key=f"{key}_from")
            last = st.sidebar.date_input(f"{f.label} to", b, lo, hi, key=f"{key}_to")
            first = first if isinstance(first, date) else lo
            last = last if isinstance(last, date) else hi
            values[f.name] = (first, last) if first <= last else (last, first)
    return values


def render_tile(tile: Tile, data: DashboardData) -> None:
    table = data.tables[tile.id]
    st.markdown(f"**{tile.title}**")
    if tile.description:
        st.caption(tile.description)
    if tile.type == "kpi":
        metrics = kpi_values(tile, table)
        for col, (name, value) in zip(st.columns(len(metrics)), metrics, strict=True):
            col.metric(name, value)
    elif table.num_rows == 0:
        st.info("No data for these filters.")
    elif tile.type == "pivot":
        pivot = pivot_frame(tile, table)
        fmt = tile.formats.get(tile.values or "")
        st.dataframe(
            pivot.style.format(lambda v: format_value(v, fmt)),
            width="stretch",
            height=min(36 * (len(pivot) + 1) + 4, 640),
        )
    elif tile.type == "table":
        df = frame(table)
        styled = df.style.format(
            {c: (lambda v, s=s: format_value(v, s)) for c, s in tile.formats.items() if c in df}
        )
        st.dataframe(styled, hide_index=True, width="stretch")
    else:
        chart = xy_chart(tile, table, width="container")
        height = chart.height if isinstance(chart.height, int) else "content"
        st.altair_chart(chart, width="stretch", height=height)


def main() -> None:
    st.set_page_config(page_title="histar dashboards", layout="wide")
    project = str(project_dir())
    try:
        config = _config(project)
        dashboards = load_dashboards(config)
    except (ConfigError, DashboardError) as exc:
        st.error(str(exc))
        st.stop()
    if not dashboards:
        st.info(f"No dashboards: add one to {Path(project) / 'dashboards'} (see the docs).")
        st.stop()
    names = {d.title: d for d in dashboards}
    if len(dashboards) > 1:
        dashboard = names[st.sidebar.selectbox("Dashboard", list(names), key="dashboard")]
    else:
        dashboard = dashboards[0]
    try:
        version = data_version(config)
    except NotPublished as exc:
        st.title(dashboard.title)
        st.info(str(exc))
        st.stop()
    st.sidebar.header("Filters")
    choices = cached_choices(project, dashboard.name, version.batch_id)
    values = filter_widgets(dashboard, choices)
    key = tuple(sorted(values.items()))
    data = cached_data(project, dashboard.name, key, version.batch_id)

    st.title(dashboard.title)
    st.caption(f"Data: {data.version.describe()}", help="The published batch this page shows.")
    st.sidebar.caption(f"Data: {data.version.describe()}")
    for tab, container in zip(
        dashboard.tabs, st.tabs([t.title for t in dashboard.tabs]), strict=True
    ):
        with container:
            for row in _rows(list(tab.tiles)):
                cols = st.columns([t.width for t in row], gap="large")
                for col, tile in zip(cols, row, strict=True):
                    with col:
                        render_tile(tile, data)


main()
