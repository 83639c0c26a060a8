"""Train levers (named variants of a config: project.yml's vars.levers) on a
corpus once per seed and record dev (and test) F1 in results/levers/
(benchmarks/levers.py)."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from benchmarks.levers import run_levers
from bioner.console import run_cli
from bioner.layout import Layout


def levers(
    corpus: str = typer.Argument(..., help="Corpus (converted)"),
    names: List[str] = typer.Argument(..., help="Levers: keys of vars.levers in project.yml"),
    seeds: str = typer.Option("0 1", help="Seeds, space-separated"),
    max_steps: int = typer.Option(3000, help="Step budget of a train-only run"),
    train_dev: bool = typer.Option(False, help="Train on train+dev for the median best step of the train-only runs"),
    test: bool = typer.Option(False, help="Also evaluate on test (final configs only)"),
    root: Path = typer.Option(Path("."), help="Project folder"),
) -> None:
    """Train each lever once per seed; record dev (and test) F1."""
    run_levers(Layout(root), corpus, names, [int(s) for s in seeds.split()], max_steps, train_dev, test)


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(levers, argv)


if __name__ == "__main__":
    sys.exit(main())
