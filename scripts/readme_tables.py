"""Refresh the generated tables of README.md (corpora from
corpus/<corpus>/stats.json; the headline results from the benchmark's
results.json) and of the lab's benchmarks/README.md (the full results.md,
levers/README.md, arch_speed/<corpus>.md); bioner.report.readme."""
import sys
from pathlib import Path
from typing import Dict, List, Optional

import srsly
import typer

from bioner.console import good, run_cli
from bioner.errors import BionerError
from bioner.io import write_text_atomic
from bioner.report.readme import below_title, corpus_table, fill, headline_table


def tables(corpus_dir: Path, results_dir: Path, configs_dir: Path) -> Dict[str, str]:
    """Every table whose source exists, by marker name: a table whose source
    is missing (no corpus converted here, no benchmark run) keeps its text."""
    found = {}
    if any(corpus_dir.glob("*/stats.json")):
        found["corpus-table"] = corpus_table(corpus_dir)
    if (results_dir / "results.json").exists():
        found["headline-table"] = headline_table(srsly.read_json(results_dir / "results.json"), configs_dir)
    if (results_dir / "results.md").exists():
        found["benchmark-table"] = (results_dir / "results.md").read_text(encoding="utf8").strip()
    if (results_dir / "levers" / "README.md").exists():
        found["levers-table"] = below_title(results_dir / "levers" / "README.md")
    arch_speed = sorted((results_dir / "arch_speed").glob("*.md"))
    if arch_speed:
        found["arch-speed"] = "\n\n".join(f"{path.stem}: {below_title(path)}" for path in arch_speed)
    return found


def readme_tables(
    readme: Path = typer.Option(Path("README.md"), help="The user documentation"),
    lab_readme: Path = typer.Option(Path("benchmarks/README.md"), help="The lab's document"),
    corpus_dir: Path = typer.Option(Path("corpus")),
    results_dir: Path = typer.Option(Path("benchmarks/results"), help="Where the benchmark, levers and arch-speed write"),
    configs_dir: Path = typer.Option(Path("configs"), help="A results row is a pipeline of the workflow if its config is here"),
) -> None:
    """Refresh the generated tables in README.md and benchmarks/README.md."""
    for path in (readme, lab_readme):
        if not path.exists():
            raise BionerError(f"{path}: file not found")
    documents = {path: path.read_text(encoding="utf8") for path in (readme, lab_readme)}
    for path, text in fill(documents, tables(corpus_dir, results_dir, configs_dir)).items():
        if text != documents[path]:
            write_text_atomic(path, text)
        good(f"Updated the tables in {path}")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(readme_tables, argv)


if __name__ == "__main__":
    sys.exit(main())
