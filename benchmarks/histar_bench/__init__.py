"""histar's benchmark suite (issue #3).

Run it with `make bench`, `histar bench` or `python benchmarks/run.py`.
"""

from histar_bench.suite import Options, main_run, scale_label, scaling_run

__all__ = ["Options", "main_run", "scale_label", "scaling_run"]
