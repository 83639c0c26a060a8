"""Annotate throughput of the annotate command over MEDLINE XML (benchmarks/annotate_throughput.py); results/annotate/."""
import sys
from typing import List, Optional

from benchmarks.annotate_throughput import benchmark as command
from bioner.console import run_cli


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(command, argv)


if __name__ == "__main__":
    sys.exit(main())
