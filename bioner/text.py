"""In-domain text for static vectors and `spacy pretrain`: the sentences of
the related corpora's train and dev splits, of the evaluated corpora's train
splits and of the unlabelled text sources (vars.text_sources: eLife's full
texts, PubMedQA's abstracts), minus every sentence that also occurs in a
held-out split.

Held out: the dev and test splits of every evaluated corpus (dev too, so
that levers chosen on dev are not chosen on text the vectors have seen) and
the test split of every other corpus read. A sentence of the text is dropped
when it equals a held-out sentence once spaces and case are ignored, or
shares any run of `WINDOW` tokens, or of `WINDOW` word pieces, with one
(the overlap measure of the corpus mirror's README; pieces are the
letter/digit runs, lower-cased, so that "IL-2" and "IL - 2" and a raw
text's own tokenisation agree: it also catches a held-out sentence that
another corpus split or joined differently). A sentence already in the text is not repeated (GENIA
abstracts are in several corpora).

The text sources are raw paragraphs: they are tokenised by the language's
spaCy tokenizer and split into sentences by `split_sentences_at` (a rule, no
model). Everything streams: sentences go to the output as they are read,
every check is a set lookup, and what is kept in memory is the held-out
index, one hash per kept sentence and the spaCy vocabulary of the
tokenizer; text.spacy is written in parts of DOCBIN_TOKENS. The work is
linear in the size of the text.
"""
import re
import resource
import time
from collections import Counter
from pathlib import Path
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, TextIO, Tuple

import spacy
import srsly
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from .corpora import Corpus, TextSource
from .layout import Layout
from .errors import BionerError
from .formats import ReadOptions, get_format
from .io import atomic_paths
from .jats import Skipped
from .rawtext import paragraphs

WINDOW = 8
SENTENCES_PER_DOC = 10  # text.spacy: Docs of about an abstract, for pretraining
DOCBIN_TOKENS = 1_000_000  # tokens per part of text.spacy (~25 MB of memory to write one)
TEXT_SPLITS = ("train", "dev")  # of the related corpora
PIECE = re.compile(r"[^\W_]+")  # letter/digit runs: what the 8-run check compares
SENT_END = frozenset({".", "!", "?"})
# a period after these is not a sentence end (lower-cased, without the period)
ABBREVIATIONS = frozenset({"al", "fig", "figs", "e.g", "i.e", "eq", "eqs", "ref", "refs", "ca", "approx", "vs",
                           "cf", "no", "nos", "dr", "prof", "st", "sp", "spp", "resp", "incl", "ed", "eds",
                           "vol", "p", "pp", "ch", "sec", "suppl", "viz", "etc"})
PROGRESS_S = 30.0


def sentence_key(words: Sequence[str]) -> str:
    """A sentence with spaces and case ignored."""
    return "".join(words).lower()


def windows(words: Sequence[str]) -> Iterator[Tuple[str, ...]]:
    """The runs of WINDOW tokens of a sentence, and of WINDOW word pieces
    (letter/digit runs), lower-cased: the pieces match across tokenisations,
    the tokens match runs that are mostly punctuation ("( LTR ) and the")."""
    lowered = [w.lower() for w in words]
    for i in range(len(lowered) - WINDOW + 1):
        yield tuple(lowered[i : i + WINDOW])
    pieces = PIECE.findall(" ".join(lowered))
    for i in range(len(pieces) - WINDOW + 1):
        yield tuple(pieces[i : i + WINDOW])


@dataclass
class HeldOut:
    """The sentences the text must not contain, each whole key and run
    mapped to the first held-out split it came from (so a drop can be
    traced to the split it protects)."""

    keys: dict = field(default_factory=dict)
    runs: dict = field(default_factory=dict)
    sentences: Counter = field(default_factory=Counter)  # per "corpus/split"

    def add(self, source: str, words: Sequence[str]) -> None:
        self.keys.setdefault(sentence_key(words), source)
        for run in windows(words):
            self.runs.setdefault(run, source)
        self.sentences[source] += 1

    def match(self, words: Sequence[str]) -> Optional[str]:
        """The held-out split `words` equals or shares a run with, or None."""
        found = self.keys.get(sentence_key(words))
        if found is None:
            found = next((self.runs[run] for run in windows(words) if run in self.runs), None)
        return found

    def contains(self, words: Sequence[str]) -> bool:
        return self.match(words) is not None


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


def split_sentences_at(words: Sequence[str]) -> Iterator[List[str]]:
    """A paragraph's tokens as sentences: a sentence ends at ".", "!" or "?"
    when the next token starts with a capital letter (or an opening bracket
    or quote), unless the period follows a known abbreviation ("et al.",
    "Fig.") or a single capital (an initial). A rule, linear, no model."""
    start = 0
    for i in range(1, len(words) - 1):
        if words[i] not in SENT_END:
            continue
        before, after = words[i - 1], words[i + 1]
        if before.lower().rstrip(".") in ABBREVIATIONS or (len(before) == 1 and before.isupper()):
            continue
        if after[:1].isupper() or after[:1] in "([\"'\u201c":
            yield list(words[start : i + 1])
            start = i + 1
    if start < len(words):
        yield list(words[start:])


def paragraph_sentences(texts: Iterable[str], lang: str = "en") -> Iterator[List[str]]:
    """Raw paragraphs -> sentences as token lists (the language's tokenizer)."""
    tokenizer = spacy.blank(lang).tokenizer
    for doc in tokenizer.pipe(texts, batch_size=256):
        words = [t.text for t in doc if not t.is_space]
        yield from split_sentences_at(words)


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


class Progress:
    """A line every PROGRESS_S seconds while a source is read: documents,
    sentences and tokens so far, and the rate."""

    def __init__(self, source: str, say: Callable[[str], None]):
        self.source, self.say = source, say
        self.start = self.last = time.monotonic()
        self.docs, self.doc_id = 0, None

    def paragraphs(self, pairs: Iterable[Tuple[str, str]]) -> Iterator[str]:
        for doc_id, text in pairs:
            if doc_id != self.doc_id:
                self.docs, self.doc_id = self.docs + 1, doc_id
            yield text

    def tick(self, count: Counter) -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_S:
            self.last = now
            rate = count["tokens"] / max(now - self.start, 1e-9)
            self.say(f"{self.source}: {self.docs:,} documents, {count['sentences']:,} sentences, "
                     f"{count['tokens']:,} tokens kept ({rate:,.0f} tokens/s)")


class TextWriter:
    """Writes kept sentences as they come, one a line, and counts per source
    what was kept, held out and repeated. `seen` holds one hash per kept
    sentence (not its text): memory stays small beside the text itself."""

    def __init__(self, fh: TextIO, held: HeldOut):
        self.fh, self.held = fh, held
        self.seen: set = set()
        self.counts: Dict[str, Counter] = {}
        self.held_out_by: Dict[str, Counter] = {}  # source -> the held-out splits its drops matched

    def add_all(self, source: str, sentences: Iterable[List[str]], progress: Optional[Progress] = None) -> None:
        count = self.counts.setdefault(source, Counter())
        matched = self.held_out_by.setdefault(source, Counter())
        for words in sentences:
            key = hash(sentence_key(words))  # 64 bits: a collision drops one sentence, once in ~1e7 texts
            split = self.held.match(words)
            if split is not None:
                count["held_out"] += 1
                matched[split] += 1
            elif key in self.seen:
                count["repeated"] += 1
            else:
                self.seen.add(key)
                self.fh.write(" ".join(words) + "\n")
                count["sentences"] += 1
                count["tokens"] += len(words)
            if progress is not None:
                progress.tick(count)


def build_text(related: Sequence[Corpus], evaluated: Sequence[Corpus], layout: Layout,
               sources: Sequence[TextSource] = (), say: Callable[[str], None] = lambda line: None) -> Dict:
    """Write layout.text_file (one sentence a line, tokens joined by
    spaces: floret's input), layout.text_docbin and layout.text_report
    (what was kept and dropped, per source; what the JATS reader skipped),
    all or nothing. Returns the report; `say` gets progress lines."""
    if not evaluated:
        raise BionerError("no evaluated corpus given: the text must be checked against at least one test split")
    held = held_out_index(held_out_splits(related, evaluated), layout)
    out = [layout.text_file, layout.text_docbin, layout.text_report]
    seconds: Dict[str, float] = {}
    skipped: Dict[str, Dict] = {}
    with atomic_paths(out, layout.text_dir) as tmp:
        with open(tmp[layout.text_file], "w", encoding="utf8") as fh:
            writer = TextWriter(fh, held)
            for corpus, split in text_sources(related, evaluated):
                start = time.monotonic()
                writer.add_all(f"{corpus.key}/{split}", split_sentences(corpus, layout, split))
                seconds[f"{corpus.key}/{split}"] = time.monotonic() - start
            for source in sources:
                start, left_out = time.monotonic(), Skipped()
                progress = Progress(source.key, say)
                texts = progress.paragraphs(paragraphs(source, layout, left_out))
                writer.add_all(source.key, paragraph_sentences(texts), progress)
                seconds[source.key] = time.monotonic() - start
                writer.counts[source.key]["documents"] = progress.docs
                if left_out.elements:
                    skipped[source.key] = left_out.to_dict()
                say(f"{source.key}: read in {seconds[source.key]:.0f} s")
        counts = writer.counts
        report = {
            "window": WINDOW,
            "held_out_sentences": dict(held.sentences),
            "sources": {name: {k: c[k] for k in ("sentences", "tokens", "held_out", "repeated")}
                        | ({"documents": c["documents"]} if "documents" in c else {})
                        for name, c in counts.items()},
            "held_out_by_split": {name: dict(c.most_common()) for name, c in writer.held_out_by.items() if c},
            "seconds": {name: round(t, 1) for name, t in seconds.items()},
            "skipped": skipped,
            "sentences": sum(c["sentences"] for c in counts.values()),
            "tokens": sum(c["tokens"] for c in counts.values()),
        }
        report["peak_rss_mb_before_docbin"] = peak_rss_mb()
        start = time.monotonic()
        write_docbin(tmp[layout.text_file], tmp[layout.text_docbin])
        report["seconds"]["text.spacy"] = round(time.monotonic() - start, 1)
        report["peak_rss_mb"] = peak_rss_mb()
        srsly.write_json(tmp[layout.text_report], report)
    return report


def peak_rss_mb() -> int:
    """This process's peak resident memory so far, in MB (Linux: ru_maxrss is in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def read_sentences(path) -> Iterator[List[str]]:
    with open(path, encoding="utf8", newline="\n") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line:
                yield line.split(" ")


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


def shards(sentences: Iterable[List[str]], tokens: int) -> Iterator[List[List[str]]]:
    """`sentences` in consecutive groups of about `tokens` tokens (whole sentences)."""
    group: List[List[str]] = []
    size = 0
    for words in sentences:
        group.append(words)
        size += len(words)
        if size >= tokens:
            yield group
            group, size = [], 0
    if group:
        yield group


def write_docbin(text_file, folder) -> None:
    """text.spacy from the sentences file, read back line by line: a folder
    of DocBins (part-00000.spacy, ...) of about DOCBIN_TOKENS tokens each,
    so that writing it holds one part in memory, not the whole text (spaCy
    writes a DocBin from memory). spaCy's reader (spacy.Corpus.v1, which
    `spacy pretrain` uses) reads such a folder as one corpus, parts in name
    order. Only token texts, spaces and sentence starts are stored: what
    `spacy pretrain` reads."""
    Path(folder).mkdir()
    for i, group in enumerate(shards(read_sentences(text_file), DOCBIN_TOKENS)):
        docbin = DocBin(attrs=["SENT_START"], store_user_data=False)
        for doc in text_docs(group, Vocab()):  # a fresh Vocab per part: its strings do not pile up
            docbin.add(doc)
        docbin.to_disk(Path(folder) / f"part-{i:05d}.spacy")


def read_text_docs(folder, vocab: Vocab) -> Iterator[Doc]:
    """The Docs of text.spacy, parts in order (as spaCy's corpus reader takes them)."""
    for part in sorted(Path(folder).glob("*.spacy")):
        yield from DocBin().from_disk(part).get_docs(vocab)
