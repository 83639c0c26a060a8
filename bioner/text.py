"""In-domain text for static vectors and `spacy pretrain`: the sentences of
the related corpora's train and dev splits and of the evaluated corpora's
train splits, minus every sentence that also occurs in a held-out split.

Held out: the dev and test splits of every evaluated corpus (dev too, so
that levers chosen on dev are not chosen on text the vectors have seen) and
the test split of every other corpus read. A sentence of the text is dropped
when it equals a held-out sentence once spaces and case are ignored, or
shares any run of `WINDOW` tokens with one (the overlap measure of the
corpus mirror's README: it also catches a held-out sentence that another
corpus split or joined differently). A sentence already in the text is not
repeated (GENIA abstracts are in several corpora). Every check is a set
lookup, so the work is linear in the size of the text.
"""
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterable, Iterator, List, Sequence, Tuple

import srsly
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from .corpora import Corpus
from .layout import Layout
from .errors import BionerError
from .formats import ReadOptions, get_format
from .io import atomic_paths

WINDOW = 8
SENTENCES_PER_DOC = 10  # text.spacy: Docs of about an abstract, for pretraining
TEXT_SPLITS = ("train", "dev")  # of the related corpora


def sentence_key(words: Sequence[str]) -> str:
    """A sentence with spaces and case ignored."""
    return "".join(words).lower()


def windows(words: Sequence[str]) -> Iterator[Tuple[str, ...]]:
    lowered = [w.lower() for w in words]
    for i in range(len(lowered) - WINDOW + 1):
        yield tuple(lowered[i : i + WINDOW])


@dataclass
class HeldOut:
    """The sentences the text must not contain."""

    keys: set = field(default_factory=set)
    runs: set = field(default_factory=set)
    sentences: Counter = field(default_factory=Counter)  # per "corpus/split"

    def add(self, source: str, words: Sequence[str]) -> None:
        self.keys.add(sentence_key(words))
        self.runs.update(windows(words))
        self.sentences[source] += 1

    def contains(self, words: Sequence[str]) -> bool:
        return sentence_key(words) in self.keys or any(run in self.runs for run in windows(words))


def split_sentences(corpus: Corpus, layout: Layout, split: str) -> Iterator[List[str]]:
    """The sentences of one fetched split, as token lists, read with the
    corpus's format (so its file errors are the converter's)."""
    fmt = get_format(corpus.format)
    path = layout.asset(corpus.key, split, fmt.suffix)
    if not path.is_file():
        raise BionerError(f"{path}: not found. Fetch it first: python -m scripts.fetch {corpus.key}")
    data = fmt.read(path, ReadOptions(sentences_per_doc=0, lang=corpus.lang))
    for doc in data.docs:
        for sent in doc.sents:
            words = [t.text for t in sent if not t.is_space]
            if words:
                yield words


def text_sources(related: Sequence[Corpus], evaluated: Sequence[Corpus]) -> List[Tuple[Corpus, str]]:
    return [(c, s) for c in related for s in TEXT_SPLITS] + [(c, "train") for c in evaluated]


def held_out_splits(related: Sequence[Corpus], evaluated: Sequence[Corpus]) -> List[Tuple[Corpus, str]]:
    return [(c, s) for c in evaluated for s in ("dev", "test")] + [(c, "test") for c in related]


def held_out_index(splits: Sequence[Tuple[Corpus, str]], layout: Layout) -> HeldOut:
    """The sentences of `splits` (held_out_splits)."""
    held = HeldOut()
    for corpus, split in splits:
        for words in split_sentences(corpus, layout, split):
            held.add(f"{corpus.key}/{split}", words)
    return held


def drop_held_out(docs: Sequence[Doc], held: HeldOut) -> Tuple[List[Doc], int]:
    """`docs` without their held-out sentences (a Doc left empty goes), and
    how many sentences were dropped. What is kept keeps its entities."""
    kept_docs: List[Doc] = []
    dropped = 0
    for doc in docs:
        sents = list(doc.sents) if doc.has_annotation("SENT_START") else [doc[:]]  # no starts: one sentence
        keep = [s for s in sents if not held.contains([t.text for t in s if not t.is_space])]
        dropped += len(sents) - len(keep)
        if len(keep) == len(sents):
            kept_docs.append(doc)
        elif keep:
            kept_docs.append(Doc.from_docs([s.as_doc() for s in keep]))
    return kept_docs, dropped


def build_text(related: Sequence[Corpus], evaluated: Sequence[Corpus], layout: Layout) -> Dict:
    """Write layout.text_file (one sentence a line, tokens joined by
    spaces: floret's input), layout.text_docbin and layout.text_report
    (what was kept and dropped, per source), all or nothing. Returns the report."""
    if not evaluated:
        raise BionerError("no evaluated corpus given: the text must be checked against at least one test split")
    held = held_out_index(held_out_splits(related, evaluated), layout)
    seen: set = set()
    counts: Dict[str, Counter] = {}
    kept: List[List[str]] = []
    for corpus, split in text_sources(related, evaluated):
        count = counts.setdefault(f"{corpus.key}/{split}", Counter())
        for words in split_sentences(corpus, layout, split):
            key = sentence_key(words)
            if held.contains(words):
                count["held_out"] += 1
            elif key in seen:
                count["repeated"] += 1
            else:
                seen.add(key)
                kept.append(words)
                count["sentences"] += 1
                count["tokens"] += len(words)
    report = {
        "window": WINDOW,
        "held_out_sentences": dict(held.sentences),
        "sources": {name: {k: c[k] for k in ("sentences", "tokens", "held_out", "repeated")}
                    for name, c in counts.items()},
        "sentences": len(kept),
        "tokens": sum(len(w) for w in kept),
    }
    write_text(kept, report, layout)
    return report


def text_docs(sentences: Iterable[List[str]], vocab: Vocab) -> Iterator[Doc]:
    batch: List[List[str]] = []
    for words in sentences:
        batch.append(words)
        if len(batch) == SENTENCES_PER_DOC:
            yield _doc(vocab, batch)
            batch = []
    if batch:
        yield _doc(vocab, batch)


def _doc(vocab: Vocab, sentences: List[List[str]]) -> Doc:
    words = [w for s in sentences for w in s]
    starts = [i == 0 for s in sentences for i in range(len(s))]
    return Doc(vocab, words=words, sent_starts=starts)


def write_text(sentences: List[List[str]], report: Dict, layout: Layout) -> None:
    out = [layout.text_file, layout.text_docbin, layout.text_report]
    with atomic_paths(out, layout.text_dir) as tmp:
        with open(tmp[layout.text_file], "w", encoding="utf8") as fh:
            for words in sentences:
                fh.write(" ".join(words) + "\n")
        DocBin(docs=text_docs(sentences, Vocab()), store_user_data=False).to_disk(tmp[layout.text_docbin])
        srsly.write_json(tmp[layout.text_report], report)
