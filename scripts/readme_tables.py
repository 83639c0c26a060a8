"""Refresh README.md's corpus table (from corpus/<corpus>/stats.json) and its
copies of benchmarks/results/: results.md, levers/README.md and
arch_speed/<corpus>.md; bioner.report.readme."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.console import good, run_cli
from bioner.io import write_text_atomic
from bioner.report.readme import corpus_table, replace_between


def without_title(path: Path) -> str:
    """A generated markdown table's text below its "# title" line: the README's section has one."""
    return path.read_text(encoding="utf8").split("\n", 2)[2].strip()


def readme_tables(
    readme: Path = typer.Option(Path("README.md")),
    corpus_dir: Path = typer.Option(Path("corpus")),
    benchmark_md: Path = typer.Option(Path("benchmarks/results/results.md"), help="Written by scripts/benchmark.py"),
) -> None:
    """Refresh the corpus and results tables in README.md."""
    text = readme.read_text(encoding="utf8")
    text = replace_between(text, "corpus-table", corpus_table(corpus_dir))
    if benchmark_md.exists():
        text = replace_between(text, "benchmark-table", benchmark_md.read_text(encoding="utf8").strip())
    levers_md = benchmark_md.parent / "levers" / "README.md"
    if levers_md.exists():
        text = replace_between(text, "levers-table", without_title(levers_md))
    arch_speed = sorted((benchmark_md.parent / "arch_speed").glob("*.md"))
    if arch_speed:
        text = replace_between(text, "arch-speed", "\n\n".join(f"{path.stem}: {without_title(path)}" for path in arch_speed))
    write_text_atomic(readme, text)
    good(f"Updated the tables in {readme}")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(readme_tables, argv)


if __name__ == "__main__":
    sys.exit(main())
