"""`histar export`: each dashboard as PDF, PNG and a self-contained HTML page, offline.

The page is one Vega-Lite spec (every tab under the other, one chart per tile, titled with
the tile's title); vl-convert renders it without a browser or network and the HTML inlines
the Vega libraries (`save(..., inline=True)`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from histar.config.model import ProjectConfig
from histar.dashboards.charts import dashboard_chart
from histar.dashboards.data import FilterValue, describe_filters, load_data
from histar.dashboards.definitions import Dashboard


@dataclass(frozen=True)
class Exported:
    dashboard: str
    batch_id: int
    files: list[Path]
    tiles: int


def export_dashboard(
    config: ProjectConfig,
    dashboard: Dashboard,
    out_dir: Path,
    values: Mapping[str, FilterValue] | None = None,
    formats: tuple[str, ...] = ("pdf", "png", "html"),
    scale: float = 1.5,
) -> Exported:
    data = load_data(config, dashboard, values or {})
    subtitle = [
        f"Data: {data.version.describe()} · {describe_filters(dashboard, data.values)}",
    ]
    chart = dashboard_chart(dashboard, data.tables, subtitle)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for fmt in formats:
        path = out_dir / f"{dashboard.name}.{fmt}"
        if fmt == "html":
            chart.save(str(path), inline=True)
        elif fmt == "png":
            chart.save(str(path), scale_factor=scale)
        else:
            chart.save(str(path))
        files.append(path)
    return Exported(dashboard.name, data.version.batch_id, files, len(dashboard.tiles))
