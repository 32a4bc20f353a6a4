"""histar.dashboards: dashboards as code (YAML), a Streamlit web app and an offline export.

Light imports only here (no Streamlit/Altair): `definitions` for the format, `query` for
read-only, parameter-bound access to the published warehouse, `data` for a dashboard's
figures, `export` for PDF/PNG/HTML, `app.py` for the web page.
"""

from histar.dashboards.definitions import (
    Dashboard,
    DashboardError,
    Filter,
    Tab,
    Tile,
    load_dashboards,
)
from histar.dashboards.query import DataVersion, NotPublished, data_version, run_query, snapshot

__all__ = [
    "Dashboard",
    "DashboardError",
    "DataVersion",
    "Filter",
    "NotPublished",
    "Tab",
    "Tile",
    "data_version",
    "load_dashboards",
    "run_query",
    "snapshot",
]
