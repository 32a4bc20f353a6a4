"""Tiles as Altair (Vega-Lite) charts: the same specs feed the web app and the export."""

from __future__ import annotations

import math
import re
from typing import Any

import altair as alt
import pandas as pd
import pyarrow as pa

from histar.dashboards.definitions import Dashboard, Tile

PAGE_WIDTH = 960
CHART_HEIGHT = 220
_D3 = re.compile(r"^(?P<cur>\$)?(?P<comma>,)?(?:\.(?P<prec>\d+))?(?P<kind>[dfe%s])?$")


def format_value(value: Any, spec: str | None = None) -> str:
    """A value formatted like d3-format would (the subset: `$`, `,`, `.N`, d f e % s)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if not isinstance(value, int | float):
        return str(value)
    m = _D3.match(spec or "")
    if not m:
        return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"
    comma = "," if m["comma"] else ""
    kind = m["kind"] or ("d" if isinstance(value, int) else "f")
    prec = int(m["prec"]) if m["prec"] is not None else None
    if kind == "d":
        text = f"{round(value):{comma}d}"
    elif kind == "%":
        text = f"{value:{comma}.{1 if prec is None else prec}%}"
    elif kind == "e":
        text = f"{value:.{2 if prec is None else prec}e}"
    elif kind == "s":
        text = f"{value:{comma}.{3 if prec is None else prec}g}"
    else:
        text = f"{value:{comma}.{2 if prec is None else prec}f}"
    if m["cur"]:
        text = f"-${text[1:]}" if text.startswith("-") else f"${text}"
    return text


def label(column: str) -> str:
    return column.replace("_", " ").capitalize()


def frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas()


def _vl_type(table: pa.Table, column: str) -> str:
    t = table.schema.field(column).type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "quantitative"
    if pa.types.is_temporal(t):
        return "temporal"
    return "nominal"


def kpi_values(tile: Tile, table: pa.Table) -> list[tuple[str, str]]:
    """(label, formatted value) per column of a KPI tile's first row."""
    row = table.slice(0, 1).to_pylist()
    first = row[0] if row else {}
    return [(label(c), format_value(first.get(c), tile.formats.get(c))) for c in table.column_names]


def pivot_frame(tile: Tile, table: pa.Table) -> pd.DataFrame:
    assert tile.rows and tile.columns and tile.values
    df = frame(table)
    if df.empty:
        return pd.DataFrame()
    out = df.pivot_table(
        index=tile.rows, columns=tile.columns, values=tile.values, aggfunc="sum", fill_value=0
    )
    out["Total"] = out.sum(axis=1)
    out.columns.name = None
    out.index.name = label(tile.rows)
    return out


def _tooltip(tile: Tile, table: pa.Table) -> list[alt.Tooltip]:
    return [
        alt.Tooltip(c, type=_vl_type(table, c), title=label(c), format=tile.formats.get(c, ""))
        if _vl_type(table, c) == "quantitative"
        else alt.Tooltip(c, type=_vl_type(table, c), title=label(c))
        for c in table.column_names
    ]


def xy_chart(tile: Tile, table: pa.Table, width: int | str, height: int | None = None) -> alt.Chart:
    """line / bar / area: x against y (optional colour series); SQL order is kept."""
    assert tile.x and tile.y
    x_type, y_type = _vl_type(table, tile.x), _vl_type(table, tile.y)
    y_axis = alt.Axis(format=tile.formats[tile.y]) if tile.y in tile.formats else alt.Axis()
    x_enc = alt.X(tile.x, type=x_type, title=label(tile.x), sort=None)
    y_enc = alt.Y(tile.y, type=y_type, title=label(tile.y), axis=y_axis)
    base = alt.Chart(frame(table))
    if tile.type == "line":
        mark = base.mark_line(point=True)
    elif tile.type == "area":
        mark = base.mark_area(opacity=0.7)
    else:
        mark = base.mark_bar()
    if tile.type == "bar" and tile.horizontal:
        x_enc = alt.X(tile.y, type=y_type, title=label(tile.y), axis=y_axis)
        y_enc = alt.Y(
            tile.x,
            type=x_type,
            title=None,
            sort=None,
            axis=alt.Axis(labelLimit=220, labelOverlap=False),
        )
        height = height or max(120, 24 * max(table.num_rows, 1))
    else:
        x_enc = alt.X(tile.x, type=x_type, title=None, sort=None, axis=alt.Axis(labelAngle=-40))
    enc: dict[str, Any] = {"x": x_enc, "y": y_enc, "tooltip": _tooltip(tile, table)}
    if tile.color:
        enc["color"] = alt.Color(tile.color, type=_vl_type(table, tile.color), title=None)
    return mark.encode(**enc).properties(width=width, height=height or CHART_HEIGHT)


def _kpi_chart(tile: Tile, table: pa.Table, width: int) -> alt.Chart:
    data = pd.DataFrame(
        [{"i": i, "label": k, "value": v} for i, (k, v) in enumerate(kpi_values(tile, table))]
    )
    base = alt.Chart(data).encode(x=alt.X("i:O", axis=None))
    value = base.mark_text(fontSize=26, fontWeight="bold", color="#1f3b73").encode(text="value:N")
    name = base.mark_text(fontSize=13, dy=30, color="#555").encode(text="label:N")
    return (value + name).properties(width=width, height=70)


def _pivot_chart(tile: Tile, table: pa.Table, width: int) -> alt.Chart:
    assert tile.rows and tile.columns and tile.values
    df = frame(table)
    rows = df[tile.rows].nunique() if not df.empty else 1
    fmt = tile.formats.get(tile.values, "")
    base = alt.Chart(df).encode(
        x=alt.X(tile.columns, type="ordinal", title=None, axis=alt.Axis(labelAngle=-40)),
        y=alt.Y(tile.rows, type="nominal", title=None),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            tile.values, type="quantitative", title=label(tile.values),
            scale=alt.Scale(scheme="blues"), legend=None,
        ),
        tooltip=_tooltip(tile, table),
    )  # fmt: skip
    text = base.mark_text(fontSize=8).encode(
        text=alt.Text(tile.values, type="quantitative", format=fmt.replace("$", ""))
    )
    return (cells + text).properties(width=width, height=max(80, 20 * rows))


def _table_chart(tile: Tile, table: pa.Table, width: int, max_rows: int = 25) -> alt.Chart:
    rows = table.slice(0, max_rows).to_pylist()
    cells = [
        {"row": i, "column": label(c), "text": format_value(r[c], tile.formats.get(c))}
        for i, r in enumerate(rows)
        for c in table.column_names
    ]
    order = [label(c) for c in table.column_names]
    return (
        alt.Chart(pd.DataFrame(cells, columns=["row", "column", "text"]))
        .mark_text(align="left", fontSize=11)
        .encode(
            x=alt.X("column:N", sort=order, title=None, axis=alt.Axis(orient="top", labelAngle=0)),
            y=alt.Y("row:O", axis=None),
            text="text:N",
        )
        .properties(width=width, height=max(40, 18 * len(rows)))
    )


def static_chart(tile: Tile, table: pa.Table, width: int) -> alt.Chart:
    """Any tile as a chart with its title (the export draws KPIs, pivots and tables too)."""
    if tile.type == "kpi":
        chart: Any = _kpi_chart(tile, table, width)
    elif tile.type == "pivot":
        chart = _pivot_chart(tile, table, width)
    elif tile.type == "table":
        chart = _table_chart(tile, table, width)
    else:
        chart = xy_chart(tile, table, width)
    return chart.properties(title=alt.TitleParams(tile.title, anchor="start", fontSize=14))


def _rows(tiles: list[Tile]) -> list[list[Tile]]:
    """Pack tiles into rows of 12 grid columns."""
    rows: list[list[Tile]] = []
    used = 12
    for t in tiles:
        if used + t.width > 12:
            rows.append([])
            used = 0
        rows[-1].append(t)
        used += t.width
    return rows


def dashboard_chart(
    dashboard: Dashboard, tables: dict[str, pa.Table], subtitle: list[str]
) -> alt.VConcatChart:
    """The whole dashboard, every tab one under the other, as one Vega-Lite spec."""
    sections = []
    for tab in dashboard.tabs:
        lines = []
        for row in _rows(list(tab.tiles)):
            charts = [
                static_chart(t, tables[t.id], int(PAGE_WIDTH * t.width / 12) - 40 * len(row))
                for t in row
            ]
            lines.append(alt.hconcat(*charts, spacing=40) if len(charts) > 1 else charts[0])
        sections.append(
            alt.vconcat(*lines, spacing=30).properties(
                title=alt.TitleParams(tab.title, anchor="start", fontSize=18, color="#1f3b73")
            )
        )
    return (
        alt.vconcat(*sections, spacing=50)
        .properties(
            title=alt.TitleParams(
                dashboard.title, subtitle=subtitle, anchor="start", fontSize=22, subtitleFontSize=12
            ),
            padding=20,
        )
        .configure_view(stroke=None)
        .configure(background="white")
    )
