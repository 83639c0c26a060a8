"""Collect F1, training time and words/s of every trained model into
results/results.md and results.json (benchmarks/table.py)."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from benchmarks.table import run_benchmark
from bioner.console import good, run_cli
from bioner.layout import Layout
from bioner.registry import load_registry, project_vars


def benchmark(
    corpora: Optional[List[str]] = typer.Option(None, "--corpus", help="Corpora (repeatable; default: vars.benchmark_corpora)"),
    models: Optional[List[str]] = typer.Option(None, "--model", help="Models (repeatable; default: every configs/*.cfg)"),
    root: Path = typer.Option(Path("."), help="Project folder"),
    speed: bool = typer.Option(True, help="Measure inference speed (slow for transformers on CPU)"),
    fresh: bool = typer.Option(False, help="Drop rows of the previous results.json not measured now"),
    measure: bool = typer.Option(True, help="Measure the models on disk; --no-measure keeps every row of the "
                                 "previous results.json and only rebuilds the tables (and the rows over seeds)"),
) -> None:
    """Collect accuracy, training time and speed of every trained model."""
    layout = Layout(root)
    settings = project_vars(layout.project_file)
    corpora = corpora or settings.get("benchmark_corpora") or list(load_registry(layout.project_file))
    # the baseline's row first: every ratio of the corpus is to it
    baseline = settings["benchmark_baseline"]
    models = models or sorted((p.stem for p in layout.configs.glob("*.cfg")), key=lambda m: (m != baseline, m))
    rows = run_benchmark(layout, corpora, models, baseline, speed=speed, fresh=fresh, measure=measure)
    good(f"Wrote {layout.results_table('.md')} and results.json ({len(rows)} rows)")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(benchmark, argv)


if __name__ == "__main__":
    sys.exit(main())
