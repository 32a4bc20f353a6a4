"""histar.warehouse."""
