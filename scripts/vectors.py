"""Train floret vectors on the in-domain text and convert them for spaCy
(bioner.vectors): corpus/text/vectors is what [initialize.vectors]
(`paths.vectors`) points at."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.console import good, run_cli
from bioner.vectors import FloretSettings, train_vectors

DEFAULTS = FloretSettings()


def vectors(
    text_file: Path = typer.Argument(..., help="One sentence a line, tokens split by spaces (corpus/text/sentences.txt)"),
    output: Path = typer.Argument(..., help="Folder to write (replaced only when complete)"),
    dim: int = typer.Option(DEFAULTS.dim, help="Vector width"),
    bucket: int = typer.Option(DEFAULTS.bucket, help="Rows of the hashed subword table"),
    minn: int = typer.Option(DEFAULTS.minn, help="Shortest character n-gram"),
    maxn: int = typer.Option(DEFAULTS.maxn, help="Longest character n-gram"),
    epoch: int = typer.Option(DEFAULTS.epoch, help="Passes over the text"),
    min_count: int = typer.Option(DEFAULTS.min_count, help="Words rarer than this get subword vectors only"),
    threads: int = typer.Option(DEFAULTS.threads, help="floret threads"),
) -> None:
    """Train floret (mode floret, hash count 2) and run `spacy init vectors --mode floret`."""
    settings = FloretSettings(dim=dim, bucket=bucket, minn=minn, maxn=maxn, epoch=epoch, min_count=min_count,
                              threads=threads)
    train_vectors(text_file, output, settings)
    good(f"Wrote {output}: floret vectors, {dim} wide, {bucket:,} rows")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(vectors, argv)


if __name__ == "__main__":
    sys.exit(main())
