"""histar: a BI pipeline in a box."""

__version__ = "0.1.0"
