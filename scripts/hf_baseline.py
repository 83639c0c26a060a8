"""CLI of benchmarks/hf_baseline.py (see its docstring)."""
import sys
from typing import List, Optional

from benchmarks.hf_baseline import main as hf_baseline
from bioner.console import run_cli


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(hf_baseline, argv)


if __name__ == "__main__":
    sys.exit(main())
