"""CLI of benchmarks/memory.py (see its docstring)."""
import sys
from typing import List, Optional

from benchmarks.memory import main as memory
from bioner.console import run_cli


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(memory, argv)


if __name__ == "__main__":
    sys.exit(main())
