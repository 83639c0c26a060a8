"""Convert a corpus's fetched files into spaCy DocBin files plus a stats file:

    assets/<corpus>/<split><suffix> -> corpus/<corpus>/{train,dev,test}.spacy
                                       corpus/<corpus>/stats.json

The corpus entry's `format` picks the reader (bioner/formats/), its `labels`
(if any) keep only those entity types (the others become O). Every split is
read and checked before anything is written, and the outputs replace the old
ones all together (bioner.io.atomic_paths), stats.json last.

A corpus trained on for transfer (not one of the `held_out` corpora we
evaluate on) loses every train and dev sentence that occurs in the dev or
test split of those (bioner.text.HeldOut: whole, or any run of 8 tokens or
8 word pieces), so
nothing trained on it has seen what the evaluation scores.
"""
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import srsly
from spacy.tokens import Doc, DocBin

from .console import info, warn
from .corpora import Corpus
from .layout import SPLITS, CorpusDir, Layout
from .errors import BionerError
from .formats import ReadOptions, get_format
from .io import atomic_paths
from .text import HeldOut, drop_held_out, held_out_index, held_out_splits


def entity_counts(docs: Sequence[Doc]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for doc in docs:
        for ent in doc.ents:
            counts[ent.label_] = counts.get(ent.label_, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def keep_labels(docs: Sequence[Doc], labels: Sequence[str]) -> int:
    """Drop the entities of other types (their tokens become O); return how many."""
    keep = set(labels)
    dropped = 0
    for doc in docs:
        ents = [e for e in doc.ents if e.label_ in keep]
        dropped += len(doc.ents) - len(ents)
        doc.set_ents(ents, default="outside")
    return dropped


def doc_counts(docs: Sequence[Doc]) -> Dict[str, Any]:
    entities = entity_counts(docs)
    return {"documents": len(docs), "sentences": sum(len(list(doc.sents)) for doc in docs),
            "tokens": sum(len(doc) for doc in docs), "entities": sum(entities.values()), "entities_per_type": entities}


def convert_file(
    path: Path, fmt: str = "iob", options: Optional[ReadOptions] = None
) -> Tuple[List[Doc], Dict[str, Any]]:
    """Read one file into Docs and return them with their counts. Raises
    BionerError (`file:line: ...`) for anything it cannot read."""
    split = get_format(fmt).read(Path(path), options or ReadOptions())
    for message in split.warnings:
        warn(message)
    docs = split.docs
    stats = {
        **doc_counts(docs),
        "doc_markers": split.stats["doc_markers"],
        **{k: v for k, v in split.stats.items() if k != "doc_markers"},
    }
    if not stats["entities"]:
        warn(f"{path}: no entities at all. Is the tag column right?")
    return docs, stats


def check_labels(stats: Dict[str, Dict[str, Any]], paths: Optional[Dict[str, Path]] = None) -> None:
    """Warn when a split's entity types differ from train's, listing both sets."""
    paths = paths or {}
    train_labels = set(stats["train"]["entities_per_type"])
    for split, split_stats in stats.items():
        labels = set(split_stats["entities_per_type"])
        if split != "train" and labels != train_labels:
            missing = ", ".join(sorted(train_labels - labels)) or "none"
            extra = ", ".join(sorted(labels - train_labels)) or "none"
            warn(
                f"{paths.get(split, split)}: entity types differ from train's "
                f"(train: {', '.join(sorted(train_labels)) or 'none'}; "
                f"{split}: {', '.join(sorted(labels)) or 'none'}; not in {split}: {missing}; "
                f"only in {split}: {extra}). Scores for these types will be missing or zero."
            )


def apply_label_subset(corpus: Corpus, docs: Dict[str, List[Doc]], stats: Dict[str, Dict[str, Any]]) -> None:
    labels = corpus.labels
    unknown = [lb for lb in labels if lb not in stats["train"]["entities_per_type"]]
    if unknown:
        raise BionerError(
            f"vars.corpora.{corpus.key}.labels: {', '.join(map(repr, unknown))} not among the entity "
            f"types of train ({', '.join(stats['train']['entities_per_type'])}). Fix the list."
        )
    for split, split_docs in docs.items():
        dropped = keep_labels(split_docs, labels)
        entities = entity_counts(split_docs)
        stats[split].update(entities=sum(entities.values()), entities_per_type=entities, dropped_entities=dropped)


def remove_held_out(all_docs: Dict[str, List[Doc]], stats: Dict[str, Dict[str, Any]], held: HeldOut,
                    keys: Sequence[str]) -> None:
    for split in ("train", "dev"):
        all_docs[split], dropped = drop_held_out(all_docs[split], held)
        stats[split].update(doc_counts(all_docs[split]), held_out_sentences=dropped)
        if dropped:
            info(f"{split}: {dropped} sentences dropped that occur in the dev/test splits of {', '.join(keys)}")


def grouping_note(corpus: Corpus, train_stats: Dict[str, Any]) -> str:
    if train_stats["doc_markers"]:
        return f"one Doc per {get_format(corpus.format).document_unit}"
    return f"no document markers: {corpus.sentences_per_doc} consecutive sentences per Doc"


def convert_corpus(corpus: Corpus, layout: Layout, strict: bool = False,
                   held_out: Sequence[Corpus] = ()) -> Dict[str, Any]:
    """Convert every split of `corpus`; return what stats.json holds. Unless
    `corpus` is one of `held_out`, its train and dev splits lose the
    sentences of the held_out corpora's dev and test splits."""
    fmt = get_format(corpus.format)
    options = ReadOptions(sentences_per_doc=corpus.sentences_per_doc, strict=strict, lang=corpus.lang,
                          label_map=corpus.label_map)
    all_docs, stats, paths = {}, {}, {}
    for split in SPLITS:
        path = paths[split] = layout.asset(corpus.key, split, fmt.suffix)
        all_docs[split], stats[split] = convert_file(path, corpus.format, options)
    if corpus.labels:
        apply_label_subset(corpus, all_docs, stats)
    if held_out and corpus.key not in {c.key for c in held_out}:
        held = held_out_index(held_out_splits((), held_out), layout)  # their dev and test
        remove_held_out(all_docs, stats, held, [c.key for c in held_out])
    for split in SPLITS:
        s = stats[split]
        info(
            f"{split}: {s['documents']:,} docs, {s['sentences']:,} sentences, "
            f"{s['tokens']:,} tokens, {s['entities']:,} entities ({s['scheme']})"
        )
    check_labels(stats, paths)
    data = {"corpus": corpus.key, "grouping": grouping_note(corpus, stats["train"]), "splits": stats}
    if corpus.labels:
        data["labels"] = list(corpus.labels)
    write_outputs(layout.corpus(corpus.key), all_docs, data)
    return data


def write_outputs(out: Path, all_docs: Dict[str, List[Doc]], stats_data: Dict[str, Any]) -> None:
    """Write <split>.spacy and stats.json all-or-nothing (stats.json last)."""
    folder = CorpusDir(out)
    paths = [folder.docbin(split) for split in all_docs] + [folder.stats]
    with atomic_paths(paths, out) as tmps:
        for split, docs in all_docs.items():
            DocBin(docs=docs, store_user_data=False).to_disk(tmps[folder.docbin(split)])
        srsly.write_json(tmps[folder.stats], stats_data)
