"""histar.flows."""
