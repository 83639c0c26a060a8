"""Build the in-domain text (bioner.text) from fetched corpora: the related
corpora's train+dev sentences and the evaluated corpora's train sentences,
minus every sentence of a held-out split (dev/test of the evaluated corpora,
test of the others). Writes corpus/text/{sentences.txt,text.spacy,report.json}."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.console import good, info, run_cli
from bioner.layout import Layout
from bioner.registry import get_corpus
from bioner.errors import BionerError
from bioner.text import build_text


def text(
    related: List[str] = typer.Argument(..., help="Related corpora (keys of vars.corpora): train+dev text"),
    evaluated: str = typer.Option(..., help="Evaluated corpora, space-separated: train text; dev+test held out"),
    root: Path = typer.Option(Path("."), help="Project folder (project.yml, assets/, corpus/)"),
) -> None:
    """Write corpus/text/: one sentence a line (floret), a DocBin (spacy
    pretrain) and report.json (kept / held out / repeated, per source)."""
    layout = Layout(root)
    names = evaluated.split()
    overlap = sorted(set(names) & set(related))
    if overlap:
        raise BionerError(f"{', '.join(overlap)}: given both as related and as evaluated; a corpus is one or the other")
    report = build_text([get_corpus(n, layout.project_file) for n in related],
                        [get_corpus(n, layout.project_file) for n in names], layout)
    for source, counts in report["sources"].items():
        info(f"{source}: {counts['sentences']:,} sentences kept, {counts['held_out']:,} held out, "
             f"{counts['repeated']:,} repeated")
    good(f"Wrote {layout.text_dir}: {report['sentences']:,} sentences, {report['tokens']:,} tokens")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(text, argv)


if __name__ == "__main__":
    sys.exit(main())
