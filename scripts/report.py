"""Build reports/<corpus>/ (bioner.report) from the evaluation outputs on
disk: per-type tables, published numbers beside ours, error taxonomy, plots
and displaCy examples. No model is loaded; it runs in seconds."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.console import good, print_table, run_cli
from bioner.layout import Layout
from bioner.io import atomic_path
from bioner.report import build_report
from bioner.report.markdown import pct


def report(
    corpus: str = typer.Argument(..., help="Corpus name, e.g. jnlpba"),
    root: Path = typer.Option(Path("."), help="Project folder (corpus/, metrics/, training/, reports/)"),
    n_examples: int = typer.Option(40, help="Sentences shown in examples.html"),
    seed: int = typer.Option(0, help="Seed for sampling the example sentences"),
) -> None:
    """Build reports/CORPUS/ from the evaluation files on disk."""
    layout = Layout(root)
    target = layout.report(corpus)
    with atomic_path(target) as tmp:
        summary = build_report(corpus, tmp, layout, n_examples, seed)
    print_table(
        [(m, pct(s["exact"]["micro"]["f"]), pct(s["exact"]["macro"]["f"]), pct(s["partial"]["micro"]["f"]))
         for m, s in summary.items()],
        header=("model", "F1", "macro F1", "partial F1"),
        aligns=("l", "r", "r", "r"),
    )
    good(f"Wrote {target}/: report.md, examples.html, plots")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(report, argv)


if __name__ == "__main__":
    sys.exit(main())
