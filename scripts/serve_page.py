"""A screenshot of the serve page with a model's entities (benchmarks/serve_page.py)."""
import sys
from typing import List, Optional

from benchmarks.serve_page import main as command
from bioner.console import run_cli


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(command, argv)


if __name__ == "__main__":
    sys.exit(main())
