"""Convert a corpus's IOB/IOBES TSV splits into spaCy DocBin files plus a
stats file:

    assets/<corpus>/{train,dev,test}.tsv -> corpus/<corpus>/{train,dev,test}.spacy
                                            corpus/<corpus>/stats.json

Every split is read and checked before anything is written, and the four
outputs are written to temporary files that are renamed over the old ones only
when all of them are complete: a failed or interrupted run leaves the previous
complete output (or none), not a half-written file or a mix of old and new
(short of a crash in the instant of the four renames).

Errors are one line, `file:line: what is wrong. What to do.`, exit status 1.
"""
import contextlib
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import srsly
import typer
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from .common import PROJECT_FILE, SPLITS, BionerError, atomic_path, corpus_facts, run_cli, say
from bioner.formats.iob import entity_counts, group_sentences, read_iob, to_doc

STRICT_HELP = (
    "Reject an I-X tag that starts an entity (after O, or after a B-/I- tag of "
    "another type) as an error. Without --strict such a tag is read as B-X, the "
    "lines are named in a warning and counted as repaired_tags in stats.json."
)


def warn(message: str) -> None:
    say("warn", message)


def convert_file(
    path: Path, *, sentences_per_doc: int = 10, repair: bool = True
) -> Tuple[List[Doc], Dict[str, Any]]:
    """Read one TSV file into Docs and return them with their counts.
    Raises BionerError (`file:line: ...`) for anything it cannot read."""
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
        warn(
            f"{path}: {len(iob.repairs)} I- tag(s) that start an entity read as B- "
            f"(lines {lines}); use --strict to reject them instead."
        )
    if not entities:
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


def write_outputs(out: Path, all_docs: Dict[str, List[Doc]], stats_data: Dict[str, Any]) -> None:
    """Write <split>.spacy and stats.json all-or-nothing: each goes to a
    temporary file first; they replace the old files only once all are written
    (stats.json last), so an error leaves the previous complete set or none."""
    created = not out.exists()
    try:
        with contextlib.ExitStack() as stack:
            # exits run last-in first-out: stats.json is moved into place last
            tmp = stack.enter_context(atomic_path(out / "stats.json"))
            srsly.write_json(tmp, stats_data)
            for split, docs in all_docs.items():
                tmp = stack.enter_context(atomic_path(out / f"{split}.spacy"))
                DocBin(docs=docs, store_user_data=False).to_disk(tmp)
    except BaseException as err:
        if created:
            with contextlib.suppress(OSError):
                out.rmdir()  # only if empty: we made it and nothing got in
        if isinstance(err, OSError):
            raise BionerError(
                f"{out}: cannot write the output ({err.strerror or err}); nothing was "
                f"changed. Check free disk space and permissions."
            ) from None
        raise


def project_corpus_facts(corpus: str, project_file: Path) -> Dict[str, Any]:
    if not Path(project_file).is_file():
        raise BionerError(f"{project_file}: project file not found. Run from the project folder.")
    return corpus_facts(corpus, project_file)


def convert(
    corpus: str = typer.Argument(..., help="Corpus name, a key of vars.corpora in project.yml"),
    assets_dir: Path = typer.Option(Path("assets"), help="Folder with <corpus>/<split>.tsv"),
    output_dir: Path = typer.Option(Path("corpus"), help="Folder for <corpus>/<split>.spacy"),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
    project_file: Path = typer.Option(
        PROJECT_FILE, help="project.yml that describes CORPUS under vars.corpora"
    ),
) -> None:
    """Convert the train/dev/test TSV files of CORPUS into DocBin files and stats.json.

    Each line is token<TAB>tag, a blank line ends a sentence, -DOCSTART- lines
    start documents; tags are IOB2 or IOBES (one scheme per file), UTF-8 with
    or without BOM, LF or CRLF. Anything else stops the run with
    file:line: what is wrong, and nothing is written. An I- tag that starts an
    entity is read as B- with a warning (see --strict).
    """
    facts = project_corpus_facts(corpus, project_file)
    sentences_per_doc = int(facts.get("sentences_per_doc", 10))
    all_docs, stats, paths = {}, {}, {}
    for split in SPLITS:
        path = paths[split] = assets_dir / corpus / f"{split}.tsv"
        all_docs[split], stats[split] = convert_file(
            path, sentences_per_doc=sentences_per_doc, repair=not strict
        )
        s = stats[split]
        say(
            "info",
            f"{split}: {s['documents']:,} docs, {s['sentences']:,} sentences, "
            f"{s['tokens']:,} tokens, {s['entities']:,} entities ({s['scheme']})",
        )
    check_labels(stats, paths)
    # Everything is read and checked before anything is written.
    out = output_dir / corpus
    grouping = (
        "one Doc per -DOCSTART- document"
        if stats["train"]["doc_markers"]
        else f"no document markers: {sentences_per_doc} consecutive sentences per Doc"
    )
    write_outputs(out, all_docs, {"corpus": corpus, "grouping": grouping, "splits": stats})
    say("good", f"Wrote {out}/{{{','.join(SPLITS)}}}.spacy and stats.json")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(convert, argv)


if __name__ == "__main__":
    sys.exit(main())
