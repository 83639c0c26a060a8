"""The abbreviations component with and without `relabel` on a gold split
(benchmarks/abbreviations.py): entity P/R/F1 of each variant, one NER run."""
import sys
from typing import List, Optional

from benchmarks.abbreviations import main as command
from bioner.console import run_cli


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(command, argv)


if __name__ == "__main__":
    sys.exit(main())
