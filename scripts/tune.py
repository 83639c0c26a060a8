"""Hyper-parameter search for configs/<model>.cfg on a corpus's dev split
(benchmarks.tuning): optuna over tok2vec width, depth, embedding rows and
attributes, CharacterEmbed, dropout, batch size and learning rate, each trial
a short `scripts.train` run; resumable, with a trial and a time budget."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.console import run_cli
from bioner.layout import Layout
from benchmarks.tuning import TuneRun, tune as run_tune


def tune(
    corpus: str = typer.Argument(..., help="Corpus key (vars.corpora in project.yml), converted"),
    model: str = typer.Argument(..., help="configs/<model>.cfg to tune"),
    trials: int = typer.Option(20, help="Trials in the study, finished ones of earlier runs included"),
    minutes: float = typer.Option(240, help="Time budget of this run: no trial starts after it"),
    max_steps: int = typer.Option(1500, help="Training steps of every trial"),
    eval_frequency: int = typer.Option(0, help="Override training.eval_frequency (0: keep)"),
    seed: int = typer.Option(0, help="Seed of every trial's training and of the sampler"),
    gpu: str = typer.Option("auto", help="'auto', a GPU id, or -1 for the CPU"),
    root: Path = typer.Option(Path("."), help="Project folder"),
) -> None:
    """Tune MODEL on CORPUS: trials table in results/tune/, best
    config in configs/<model>_tuned_<corpus>.cfg."""
    run_tune(Layout(root), TuneRun(corpus, model, max_steps, seed, gpu, eval_frequency), trials, minutes)


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(tune, argv)


if __name__ == "__main__":
    sys.exit(main())
