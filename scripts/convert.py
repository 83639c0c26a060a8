"""Convert a corpus's IOB/IOBES TSV splits into spaCy DocBin files plus a
stats file:

    assets/<corpus>/{train,dev,test}.tsv -> corpus/<corpus>/{train,dev,test}.spacy
                                            corpus/<corpus>/stats.json
"""
from pathlib import Path
from typing import Any, Dict, List, Tuple

import typer
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab
from wasabi import msg

from .common import SPLITS, atomic_path, corpus_facts, run_cli, write_json_atomic
from .iob import entity_counts, group_sentences, read_iob, to_doc


def convert_file(
    path: Path, *, sentences_per_doc: int = 10, repair: bool = True
) -> Tuple[List[Doc], Dict[str, Any]]:
    """Read one TSV file into Docs and return them with their counts."""
    iob = read_iob(path, repair=repair)
    vocab = Vocab()
    docs = [to_doc(vocab, sents) for sents in group_sentences(iob, sentences_per_doc)]
    entities = entity_counts(docs)
    stats = {
        "documents": len(docs),
        "doc_markers": iob.has_doc_markers,
        "sentences": sum(len(list(doc.sents)) for doc in docs),
        "tokens": sum(len(doc) for doc in docs),
        "entities": sum(entities.values()),
        "entities_per_type": entities,
        "scheme": iob.scheme,
        "repaired_tags": len(iob.repairs),
    }
    if iob.repairs:
        lines = ", ".join(map(str, iob.repairs[:5])) + (" ..." if len(iob.repairs) > 5 else "")
        msg.warn(
            f"{path}: {len(iob.repairs)} I- tag(s) that start an entity read as B- "
            f"(lines {lines}); use --strict to reject them instead."
        )
    if not entities:
        msg.warn(f"{path}: no entities at all. Is the tag column right?")
    return docs, stats


def check_labels(stats: Dict[str, Dict[str, Any]]) -> None:
    """Warn when a split's entity types differ from train's."""
    train_labels = set(stats["train"]["entities_per_type"])
    for split, split_stats in stats.items():
        labels = set(split_stats["entities_per_type"])
        if split != "train" and labels != train_labels:
            missing = ", ".join(sorted(train_labels - labels)) or "none"
            extra = ", ".join(sorted(labels - train_labels)) or "none"
            msg.warn(
                f"{split}: entity types differ from train's (not in {split}: {missing}; "
                f"only in {split}: {extra})."
            )


def convert(
    corpus: str = typer.Argument(..., help="Corpus name, a key of vars.corpora in project.yml"),
    assets_dir: Path = typer.Option(Path("assets"), help="Folder with <corpus>/<split>.tsv"),
    output_dir: Path = typer.Option(Path("corpus"), help="Folder for <corpus>/<split>.spacy"),
    strict: bool = typer.Option(
        False, "--strict", help="Reject an I- tag that starts an entity instead of reading it as B-"
    ),
) -> None:
    """Convert the train/dev/test TSV files of CORPUS into DocBin files and stats.json."""
    facts = corpus_facts(corpus)
    sentences_per_doc = int(facts.get("sentences_per_doc", 10))
    all_docs, stats = {}, {}
    for split in SPLITS:
        path = assets_dir / corpus / f"{split}.tsv"
        all_docs[split], stats[split] = convert_file(
            path, sentences_per_doc=sentences_per_doc, repair=not strict
        )
        s = stats[split]
        msg.info(
            f"{split}: {s['documents']:,} docs, {s['sentences']:,} sentences, "
            f"{s['tokens']:,} tokens, {s['entities']:,} entities ({s['scheme']})"
        )
    check_labels(stats)
    # Everything is read and checked before anything is written.
    out = output_dir / corpus
    for split, docs in all_docs.items():
        with atomic_path(out / f"{split}.spacy") as tmp:
            DocBin(docs=docs, store_user_data=False).to_disk(tmp)
    grouping = (
        "one Doc per -DOCSTART- document"
        if stats["train"]["doc_markers"]
        else f"no document markers: {sentences_per_doc} consecutive sentences per Doc"
    )
    write_json_atomic(out / "stats.json", {"corpus": corpus, "grouping": grouping, "splits": stats})
    msg.good(f"Wrote {out}/{{{','.join(SPLITS)}}}.spacy and stats.json")


if __name__ == "__main__":
    run_cli(lambda: typer.run(convert))
