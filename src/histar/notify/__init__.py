"""histar.notify."""
