"""Check the Makefile's settings (CORPUS, MODELS, GPU, TRANSFORMER, STEPS,
TRAIN_OVERRIDES, BENCH_*), read from the environment, before make passes
them to weasel (bioner.settings)."""
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.console import run_cli
from bioner.layout import Layout
from bioner.settings import check_settings as check
from bioner.settings import workflow_args


def check_settings(
    root: Path = typer.Option(Path("."), help="Project folder"),
    workflow: bool = typer.Option(False, help="Then print the weasel workflow (and vars) make all runs for CORPUS"),
) -> None:
    """Exit 1 with one line naming the first bad setting."""
    check(os.environ, Layout(root))
    if workflow:
        print(" ".join(workflow_args(os.environ.get("CORPUS", ""), Layout(root))))


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(check_settings, argv)


if __name__ == "__main__":
    sys.exit(main())
