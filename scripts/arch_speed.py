"""Words/s of untrained pipelines built from levers or configs, tagging a
corpus's test texts in turns: the speed side of a lever in a minute
(benchmarks/arch_speed.py); results/arch_speed/<corpus>.md and .json."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from benchmarks.arch_speed import measure, write_results
from bioner.console import good, run_cli
from bioner.layout import Layout


def arch_speed(
    corpus: str = typer.Argument(..., help="Corpus (converted): train Docs initialise, test texts are tagged"),
    names: List[str] = typer.Argument(..., help="Levers (vars.levers) or config names; the first is the baseline"),
    rounds: int = typer.Option(5, min=1, help="Turns of every variant"),
    texts: int = typer.Option(400, min=1, help="Test texts tagged per turn"),
    root: Path = typer.Option(Path("."), help="Project folder"),
) -> None:
    """Words/s of untrained pipelines built from configs, measured in turns."""
    result = measure(corpus, names, rounds, texts, root)
    write_results(Layout(root), result)
    for row in result["rows"]:
        good(f"{row['variant']}: {row['words_per_s']:,} words/s ({row['ratio']:.2f})")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(arch_speed, argv)


if __name__ == "__main__":
    sys.exit(main())
