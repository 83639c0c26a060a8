"""Property-based tests of the converter (hypothesis).

- Any valid tag sequence, IOB2 or IOBES, with random labels and random tokens
  (no whitespace), written as a TSV file and converted, gives back the same
  tokens, sentences and entity spans (token offsets and labels).
- Random bytes, and random mixes of plausible and broken lines, never raise
  anything but BionerError (a one-line `file:line: ...` message): no
  traceback from the converter.
"""
import itertools
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bioner.errors import BionerError
from bioner.conversion import convert_file
from bioner.formats import ReadOptions
from bioner.formats.iob import DOCSTART

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Tokens: any characters but whitespace (the column and line separators).
# U+FEFF is left out too: as the file's first character it is a byte order
# mark, which the reader drops by design.
token_chars = st.characters(
    blacklist_categories=("Cs",), blacklist_characters="\ufeff"
).filter(lambda c: not c.isspace())
tokens = st.text(token_chars, min_size=1, max_size=8).filter(lambda t: t != DOCSTART)
labels = st.text(token_chars, min_size=1, max_size=6)

# A sentence is a list of segments: None (one O token) or (label, length);
# a document a list of sentences; a corpus a list of documents.
segment = st.one_of(st.none(), st.tuples(labels, st.integers(1, 4)))
sentence = st.lists(segment, min_size=1, max_size=6)
document = st.lists(sentence, min_size=1, max_size=3)
corpora = st.lists(document, min_size=1, max_size=3)


def tags_for(label, length, scheme):
    if scheme == "IOBES":
        if length == 1:
            return [f"S-{label}"]
        return [f"B-{label}"] + [f"I-{label}"] * (length - 2) + [f"E-{label}"]
    return [f"B-{label}"] + [f"I-{label}"] * (length - 1)


def build(corpus, scheme, words, markers):
    """Lay out documents of sentences as file lines; return the lines, the
    expected (doc, start, end, label) spans with token offsets within each
    doc, and each doc's sentence starts."""
    lines, spans, sentence_starts = [], [], []
    words = itertools.cycle(words)  # a few random tokens, reused: cheaper to generate
    for doc_i, doc in enumerate(corpus):
        if markers:
            lines += [f"{DOCSTART}\tO", ""]
        offset = 0
        sentence_starts.append([])
        for sentence in doc:
            sentence_starts[-1].append(offset)
            for segment in sentence:
                if segment is None:
                    lines.append(f"{next(words)}\tO")
                    offset += 1
                    continue
                label, length = segment
                for tag in tags_for(label, length, scheme):
                    lines.append(f"{next(words)}\t{tag}")
                spans.append((doc_i, offset, offset + length, label))
                offset += length
            lines.append("")
    return lines, spans, sentence_starts


@SETTINGS
@given(
    corpus=corpora,
    scheme=st.sampled_from(["IOB2", "IOBES"]),
    markers=st.booleans(),
    crlf=st.booleans(),
    words=st.lists(tokens, min_size=1, max_size=12),
)
def test_valid_files_round_trip(corpus, scheme, markers, crlf, words):
    if not markers:
        corpus = [[s for doc in corpus for s in doc]]  # one run of sentences: one Doc
    lines, spans, sentence_starts = build(corpus, scheme, words, markers)
    text = "\n".join(lines) + "\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "split.tsv"
        path.write_bytes(text.encode("utf-8"))
        docs, stats = convert_file(path, options=ReadOptions(sentences_per_doc=0, strict=True))
    assert len(docs) == len(corpus)
    # same-label neighbours stay separate entities (B- / S- boundaries are kept)
    got = [(i, e.start, e.end, e.label_) for i, doc in enumerate(docs) for e in doc.ents]
    assert got == spans
    expected_words = [l.split("\t")[0] for l in lines if l and not l.startswith(DOCSTART)]
    assert [t.text for doc in docs for t in doc] == expected_words
    assert [[s.start for s in doc.sents] for doc in docs] == sentence_starts
    assert stats["scheme"] == (scheme if spans else "IOB2")
    assert stats["doc_markers"] == markers
    assert stats["entities"] == len(spans) and stats["repaired_tags"] == 0


ERROR_RE = re.compile(r"^\S.*?(:\d+)?: \S")


def check_no_traceback(raw: bytes, repair: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.tsv"
        path.write_bytes(raw)
        try:
            docs, stats = convert_file(path, options=ReadOptions(sentences_per_doc=3, strict=not repair))
        except BionerError as err:
            message = str(err)
            assert message.startswith(str(path))
            assert "\n" not in message
            assert ERROR_RE.match(message)
            return
    assert stats["tokens"] == sum(len(d) for d in docs) > 0


@SETTINGS
@given(raw=st.binary(max_size=400), repair=st.booleans())
def test_random_bytes_never_raise_a_traceback(raw, repair):
    check_no_traceback(raw, repair)


# Lines that are almost right: the fuzzer combines them into files that get
# much further into the reader than random bytes do.
fragments = st.sampled_from(
    [
        "IL-2\tB-protein", "gene\tI-protein", "cells\tE-cell_type", "T\tS-cell_type",
        "x\tO", "y\tI-DNA", "\tO", "z\t", "a\tb\tc", "a b\tO", "a\tB-", "a\tb-DNA",
        f"{DOCSTART}\tO", DOCSTART, "", " ", "\t", "\r", "\ufeff", "\x00\tO", "\u00e9\tO",
        "\u2028\tO", "x\tB-\u2028", "\x85\tO", "x\tO\x0b",
    ]
)
line_lists = st.lists(
    st.one_of(fragments.map(str.encode), st.binary(max_size=6)), min_size=0, max_size=30
)


@SETTINGS
@given(
    parts=line_lists,
    sep=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    bom=st.booleans(),
    repair=st.booleans(),
)
def test_near_valid_files_never_raise_a_traceback(parts, sep, bom, repair):
    check_no_traceback((b"\xef\xbb\xbf" if bom else b"") + sep.join(parts), repair)
