"""histar.cli."""
