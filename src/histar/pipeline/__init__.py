"""histar.pipeline."""
