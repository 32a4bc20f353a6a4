"""histar.extract."""
