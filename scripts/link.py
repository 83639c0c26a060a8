"""Attach the concept linker (bioner.linking.attach) to a trained pipeline:
the corpus's KB inside, the NIL threshold chosen on dev; writes a new
pipeline folder (model-linked) and the dev figures."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.console import good, run_cli
from bioner.io import write_json_atomic
from bioner.linking.attach import attach
from bioner.runtime import load_pipeline


def link(
    model: Path = typer.Argument(..., exists=True, help="Trained pipeline folder (model-best)"),
    kb: Path = typer.Argument(..., exists=True, help="KB file from `build`"),
    dev: Path = typer.Argument(..., exists=True, help="Gold dev DocBin: the NIL threshold is chosen on it"),
    dev_kb: Path = typer.Argument(..., exists=True, help="KB without dev's names (kb --train-only), used on dev"),
    output: Path = typer.Argument(..., help="Pipeline folder to write (model-linked)"),
    figures: Optional[Path] = typer.Option(None, help="JSON file for the dev figures"),
) -> None:
    """Add the linker to MODEL and write OUTPUT."""
    result = attach(load_pipeline(model), kb, dev, dev_kb, output)
    if figures:
        write_json_atomic(figures, result)  # its folder (metrics/<corpus>/) may not exist before evaluate
    dev_f = result["dev_concepts"]
    good(f"{output}: threshold {result['threshold']:.2f}, dev concept F1 {dev_f['f'] * 100:.2f}, "
         f"dev accuracy@1 (gold mentions) {result['dev_accuracy_at_1']['accuracy'] * 100:.2f}")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(link, argv)


if __name__ == "__main__":
    sys.exit(main())
