"""Convert a corpus's fetched files into DocBin files plus stats.json
(bioner.conversion), with the reader its entry's `format` names."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.console import good, run_cli
from bioner.conversion import convert_corpus
from bioner.layout import SPLITS, Layout
from bioner.registry import get_corpus
from bioner.errors import BionerError

STRICT_HELP = (
    "Reject an I-X tag that starts an entity (after O, or after a B-/I- tag of "
    "another type) as an error. Without --strict such a tag is read as B-X, the "
    "lines are named in a warning and counted as repaired_tags in stats.json."
)


def convert(
    corpus: str = typer.Argument(..., help="Corpus name, a key of vars.corpora in project.yml"),
    related: str = typer.Option("", help="Corpora, space-separated, used only to train from (transfer, text): "
                                "if CORPUS is one, its train and dev splits are cleaned of --held-out"),
    held_out: str = typer.Option("", help="Evaluated corpora, space-separated: their dev and test sentences "
                                 "are dropped from a --related corpus (whole, or any 8-token run)"),
    root: Path = typer.Option(Path("."), help="Project folder (project.yml, assets/, corpus/)"),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
) -> None:
    """Convert the train/dev/test files of CORPUS into DocBin files and stats.json.

    IOB files: token<TAB>tag per line, a blank line ends a sentence,
    -DOCSTART- lines start documents; tags IOB2 or IOBES (one scheme per
    file). A --related corpus (one we train from but do not evaluate on)
    loses every train/dev sentence that occurs in the dev or test split of a
    --held-out corpus, counted as held_out_sentences in stats.json. PubTator files: PMID|t|, PMID|a| and mention lines. UTF-8 with or
    without BOM, LF or CRLF. Anything else stops the run with
    file:line: what is wrong, and nothing is written.
    """
    layout = Layout(root)
    entry = get_corpus(corpus, layout.project_file)
    is_related = corpus in related.split()
    held = [get_corpus(key, layout.project_file) for key in held_out.split()] if is_related else []
    if is_related and not held:
        raise BionerError(f"{corpus} is a related corpus: give the evaluated corpora to clean it of (--held-out)")
    convert_corpus(entry, layout, strict=strict, held_out=held)
    good(f"Wrote {layout.corpus(corpus)}/{{{','.join(SPLITS)}}}.spacy and stats.json")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(convert, argv)


if __name__ == "__main__":
    sys.exit(main())
