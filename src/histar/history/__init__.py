"""histar.history."""
