"""Entry point of the benchmark suite: `python benchmarks/run.py --rows 1M` (see README.md)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from histar_bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
