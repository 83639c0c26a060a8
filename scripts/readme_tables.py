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
from bioner.layout import Layout
from bioner.report.readme import below_title, corpus_table, fill, headline_table


def tables(layout: Layout) -> Dict[str, str]:
    """Every table whose source exists, by marker name: a table whose source
    is missing (no corpus converted here, no benchmark run) keeps its text."""
    found = {}
    if any(layout.corpora_dir.glob("*/stats.json")):
        found["corpus-table"] = corpus_table(layout.corpora_dir)
    if layout.results_table(".json").exists():
        found["headline-table"] = headline_table(srsly.read_json(layout.results_table(".json")), layout.configs)
    if layout.results_table(".md").exists():
        found["benchmark-table"] = layout.results_table(".md").read_text(encoding="utf8").strip()
    if layout.lever_tables.exists():
        found["levers-table"] = below_title(layout.lever_tables)
    arch_speed = sorted(layout.arch_speed("*", ".md").parent.glob("*.md"))
    if arch_speed:
        found["arch-speed"] = "\n\n".join(f"{path.stem}: {below_title(path)}" for path in arch_speed)
    return found


def readme_tables(
    readme: Path = typer.Option(Path("README.md"), help="The user documentation"),
    lab_readme: Path = typer.Option(Path("benchmarks/README.md"), help="The lab's document"),
    root: Path = typer.Option(Path("."), help="Project folder: corpus/, results/ and configs/ below it"),
) -> None:
    """Refresh the generated tables in README.md and benchmarks/README.md."""
    for path in (readme, lab_readme):
        if not path.exists():
            raise BionerError(f"{path}: file not found")
    documents = {path: path.read_text(encoding="utf8") for path in (readme, lab_readme)}
    for path, text in fill(documents, tables(Layout(root))).items():
        if text != documents[path]:
            write_text_atomic(path, text)
        good(f"Updated the tables in {path}")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(readme_tables, argv)


if __name__ == "__main__":
    sys.exit(main())
