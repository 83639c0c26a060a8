"""Bounded load test of the server (benchmarks/serve_load.py): latency, throughput and errors against plain nlp.pipe; results/serve/."""
import sys
from typing import List, Optional

from benchmarks.serve_load import main as command
from bioner.console import run_cli


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(command, argv)


if __name__ == "__main__":
    sys.exit(main())
