"""Convert a corpus's fetched files into DocBin files plus stats.json
(bioner.conversion), with the reader its entry's `format` names."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.console import good, run_cli
from bioner.conversion import convert_corpus
from bioner.corpora import SPLITS, Layout, get_corpus

STRICT_HELP = (
    "Reject an I-X tag that starts an entity (after O, or after a B-/I- tag of "
    "another type) as an error. Without --strict such a tag is read as B-X, the "
    "lines are named in a warning and counted as repaired_tags in stats.json."
)


def convert(
    corpus: str = typer.Argument(..., help="Corpus name, a key of vars.corpora in project.yml"),
    root: Path = typer.Option(Path("."), help="Project folder (project.yml, assets/, corpus/)"),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
) -> None:
    """Convert the train/dev/test files of CORPUS into DocBin files and stats.json.

    IOB files: token<TAB>tag per line, a blank line ends a sentence,
    -DOCSTART- lines start documents; tags IOB2 or IOBES (one scheme per
    file). PubTator files: PMID|t|, PMID|a| and mention lines. UTF-8 with or
    without BOM, LF or CRLF. Anything else stops the run with
    file:line: what is wrong, and nothing is written.
    """
    layout = Layout(root)
    convert_corpus(get_corpus(corpus, layout.project_file), layout, strict=strict)
    good(f"Wrote {layout.corpus(corpus)}/{{{','.join(SPLITS)}}}.spacy and stats.json")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(convert, argv)


if __name__ == "__main__":
    sys.exit(main())
