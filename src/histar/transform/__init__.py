"""histar.transform."""
