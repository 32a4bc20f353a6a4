"""histar.dashboards."""
