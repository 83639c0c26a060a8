"""Prove that a packaged pipeline is self-contained (bioner.packaging): install
its wheel into a fresh virtual environment (pinned by constraints.txt), load
it by name from an empty folder with the network off, and tag a sentence."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.console import good, info, run_cli
from bioner.io import write_json_atomic
from bioner.packaging import check_wheel, find_wheel


def check_package(
    path: Path = typer.Argument(..., exists=True, help="A wheel, or a folder holding one"),
    output: Optional[Path] = typer.Option(None, help="Write what the check saw as JSON"),
    constraints: Path = typer.Option(Path("constraints.txt"), exists=True, help="Pins for the fresh venv"),
) -> None:
    """Install the wheel in a fresh venv and load it by name offline."""
    seen = check_wheel(find_wheel(path), constraints)
    if output:
        write_json_atomic(output, seen)
    good(f"spacy.load('{seen['name']}') works offline: pipeline {seen['pipeline']}, labels {seen['labels']}")
    info(f"Entities in the sample sentence: {[tuple(e[2:]) for e in seen['ents']]}")
    if "linker" in seen["pipeline"]:  # linked offline, from the KB inside the wheel
        info(f"Concepts linked offline: {sum(1 for e in seen['ents'] if e[4])} of {len(seen['ents'])} entities")
    if seen["vectors"]["shape"][0]:
        info(f"Static vectors inside the wheel: {seen['vectors']['mode']}, {seen['vectors']['shape']}")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(check_package, argv)


if __name__ == "__main__":
    sys.exit(main())
