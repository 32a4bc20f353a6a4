"""histar.config."""
