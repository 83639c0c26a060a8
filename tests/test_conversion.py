"""Conversion of IOB2/IOBES TSV into Docs: small hand-written files and the
real mirrored corpora."""
import pytest
from conftest import corpus_file

from bioner.conversion import convert_file
from bioner.formats import ReadOptions

IOB2 = """-DOCSTART-\tO

IL-2\tB-protein
gene\tI-protein
expression\tO
.\tO

T\tB-cell_type
cells\tI-cell_type

-DOCSTART-\tO

NF-kappa\tB-protein
B\tI-protein
binds\tO
DNA\tB-DNA
"""

IOBES = IOB2.replace("I-protein\nexpression", "E-protein\nexpression").replace(
    "I-cell_type", "E-cell_type").replace("B\tI-protein", "B\tE-protein").replace("DNA\tB-DNA", "DNA\tS-DNA")


def spans(doc):
    return [(e.start, e.end, e.label_) for e in doc.ents]


@pytest.mark.parametrize("text,scheme", [(IOB2, "IOB2"), (IOBES, "IOBES")])
def test_convert_small_file(tmp_path, text, scheme):
    path = tmp_path / "train.tsv"
    path.write_text(text, encoding="utf8")
    docs, stats = convert_file(path)
    assert stats["scheme"] == scheme
    assert len(docs) == 2
    first, second = docs
    assert [t.text for t in first] == ["IL-2", "gene", "expression", ".", "T", "cells"]
    assert first.text == "IL-2 gene expression . T cells"
    assert spans(first) == [(0, 2, "protein"), (4, 6, "cell_type")]
    assert [s.start for s in first.sents] == [0, 4]
    assert [t.text for t in second] == ["NF-kappa", "B", "binds", "DNA"]
    assert spans(second) == [(0, 2, "protein"), (3, 4, "DNA")]
    assert len(list(second.sents)) == 1
    assert stats["sentences"] == 3 and stats["tokens"] == 10
    assert stats["entities_per_type"] == {"protein": 2, "DNA": 1, "cell_type": 1}


def test_convert_without_doc_markers_groups_sentences(tmp_path):
    sentences = [f"w{i}\tB-Chemical\nx\tO\n" for i in range(25)]
    path = tmp_path / "train.tsv"
    path.write_text("\n".join(sentences), encoding="utf8")
    docs, stats = convert_file(path, options=ReadOptions(sentences_per_doc=10))
    assert [len(list(d.sents)) for d in docs] == [10, 10, 5]
    assert stats["documents"] == 3 and stats["sentences"] == 25
    assert sum(len(d.ents) for d in docs) == 25


def test_repaired_i_tag_is_counted(tmp_path):
    path = tmp_path / "train.tsv"
    path.write_text("a\tO\nb\tI-protein\nc\tI-protein\n", encoding="utf8")
    docs, stats = convert_file(path)
    assert spans(docs[0]) == [(1, 3, "protein")]
    assert stats["repaired_tags"] == 1


JNLPBA_TEST = {
    "documents": 404,
    "sentences": 3856,
    "tokens": 101039,
    "entities": 8662,
    "entities_per_type": {"protein": 5067, "cell_type": 1921, "DNA": 1056, "cell_line": 500, "RNA": 118},
}
BC5CDR_TEST = {
    "sentences": 4797,
    "tokens": 124750,
    "entities": 9809,
    "entities_per_type": {"Chemical": 5385, "Disease": 4424},
}


@pytest.mark.parametrize(
    "corpus_dir,sentences_per_doc,expected",
    [("JNLPBA", 0, JNLPBA_TEST), ("BC5CDR-IOB", 10, BC5CDR_TEST)],
)
def test_convert_mirrored_test_split(corpus_dir, sentences_per_doc, expected):
    docs, stats = convert_file(corpus_file(corpus_dir, "test.tsv"), options=ReadOptions(sentences_per_doc=sentences_per_doc))
    for key, value in expected.items():
        assert stats[key] == value, key
    assert stats["repaired_tags"] == 0
    if corpus_dir == "BC5CDR-IOB":
        # no document markers: 10 consecutive sentences per Doc
        assert stats["documents"] == 480
        assert not stats["doc_markers"]


@pytest.mark.parametrize(
    "corpus_dir,split,expected",
    [
        ("JNLPBA", "train.tsv", {"documents": 1800, "sentences": 16807, "tokens": 445096,
                                 "entities_per_type": {"protein": 27803, "DNA": 8481, "cell_type": 6192,
                                                       "cell_line": 3430, "RNA": 844}}),
        ("JNLPBA", "devel.tsv", {"documents": 200, "sentences": 1739, "tokens": 47461, "entities": 4551}),
        ("BC5CDR-IOB", "train.tsv", {"sentences": 4560, "tokens": 118170,
                                     "entities_per_type": {"Chemical": 5203, "Disease": 4182}}),
        ("BC5CDR-IOB", "devel.tsv", {"sentences": 4581, "tokens": 117453,
                                     "entities_per_type": {"Chemical": 5347, "Disease": 4246}}),
    ],
)
def test_convert_mirrored_other_splits(corpus_dir, split, expected):
    docs, stats = convert_file(corpus_file(corpus_dir, split), options=ReadOptions(sentences_per_doc=10))
    for key, value in expected.items():
        assert stats[key] == value, key
