"""A trained NER pipeline at use time: nlp(text) and nlp.pipe(texts) take odd
input (empty, whitespace only, one token, ~1 MB, control characters, emoji,
mixed scripts) without error; doc.text is the input and every entity's
character offsets slice the input to the entity's text.

The pipeline is built here (blank English + a small "ner" updated for a few
steps on a handful of sentences), not trained: it is about the machinery, not
accuracy. The transformer pipeline's long-document case is covered elsewhere.
"""
import subprocess
import sys

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.training import Example
from spacy.util import fix_random_seed

from conftest import PROJECT_DIR

TRAIN = [
    ("IL-2 gene expression requires NF-kappa B in T cells .",
     [(0, 4, "protein"), (30, 40, "protein"), (44, 51, "cell_type")]),
    ("Cisplatin activates IL-2 and c-fos in human T cells .",
     [(20, 24, "protein"), (29, 34, "DNA"), (44, 51, "cell_type")]),
    ("The c-fos promoter binds AP-1 in Jurkat cells .",
     [(4, 18, "DNA"), (25, 29, "protein"), (33, 45, "cell_line")]),
]
SMALL_NER = {
    "model": {
        "@architectures": "spacy.TransitionBasedParser.v2",
        "state_type": "ner",
        "extra_state_tokens": False,
        "hidden_width": 32,
        "maxout_pieces": 2,
        "use_upper": True,
        "nO": None,
        "tok2vec": {
            "@architectures": "spacy.HashEmbedCNN.v2",
            "pretrained_vectors": None,
            "width": 32,
            "depth": 2,
            "embed_size": 1000,
            "window_size": 1,
            "maxout_pieces": 2,
            "subword_features": True,
        },
    }
}

SENTENCE = "IL-2 gene expression requires NF-kappa B in human T cells . "
CONTROL = "".join(chr(c) for c in range(0x20) if c not in (0x0A,)) + "\x7f" + "".join(
    chr(c) for c in range(0x80, 0xA0)
)
EMOJI_SCRIPTS = (
    "IL-2 \U0001f9ec activates NF-\u03baB in \U0001f469\u200d\U0001f52c T cells \U0001f1e9\U0001f1ea; "
    "\u767d\u7ec6\u80de\u4ecb\u7d20-2 (IL-2) \u0432 \u0422-\u043a\u043b\u0435\u0442\u043a\u0430\u0445; "
    "\u0627\u0644\u0625\u0646\u062a\u0631\u0644\u0648\u0643\u064a\u0646-2 \u202b\u05e2\u05d1\u05e8\u05d9\u05ea\u202c "
    "\u0907\u0902\u091f\u0930\u0932\u094d\u092f\u0942\u0915\u093f\u0928 e\u0301 \u200b\u200d\u2060 "
    "\ufeff c-fos \U0001f44d\U0001f3fd in Jurkat cells . \U0001d4d8\U0001d4db-2 \u2460\u2461"
)
CONTROL_TEXT = f"IL-2\x00 gene{CONTROL}expression in T cells\x1b[31m .\x0b\x0c\x1c\u2028\u2029\x85 c-fos ."
WHITESPACE_MIX = "IL-2\u00a0gene\u2003expression\r\n\r\nin\tT cells \u3000 .  \n"


def big_text(n_chars: int = 999_999) -> str:
    """~1 MB of text (UTF-8 bytes), just under spaCy's default nlp.max_length
    (1,000,000 characters), with the odd parts above mixed in."""
    unit = SENTENCE * 20 + EMOJI_SCRIPTS + " " + CONTROL_TEXT + "\n\n"
    text = (unit * (n_chars // len(unit) + 1))[:n_chars]
    assert len(text.encode("utf-8")) > 1_000_000
    return text


TEXTS = {
    "empty": "",
    "space": " ",
    "whitespace only": " \n\t\r\n \u00a0\u3000 \n",
    "single token": "IL-2",
    "single character": "x",
    "control characters": CONTROL_TEXT,
    "only control characters": CONTROL,
    "emoji and mixed scripts": EMOJI_SCRIPTS,
    "unicode whitespace": WHITESPACE_MIX,
    "sentence": SENTENCE * 3,
}


@pytest.fixture(scope="module")
def nlp():
    fix_random_seed(0)
    nlp = spacy.blank("en")
    nlp.add_pipe("ner", config=SMALL_NER)
    examples = [Example.from_dict(nlp.make_doc(t), {"entities": e}) for t, e in TRAIN]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(40):
        nlp.update(examples, sgd=optimizer)
    # it has learnt something, so the offset checks below are not vacuous
    assert "IL-2" in {e.text for e in nlp(TRAIN[0][0]).ents}
    return nlp


def check_doc(doc, text):
    assert doc.text == text
    assert len(doc.text_with_ws) == len(text)
    for ent in doc.ents:
        assert 0 <= ent.start_char < ent.end_char <= len(text)
        assert text[ent.start_char : ent.end_char] == ent.text
        assert ent.label_ in ("protein", "DNA", "cell_type", "cell_line")
    for token in doc:
        assert text[token.idx : token.idx + len(token.text)] == token.text


@pytest.mark.parametrize("name", list(TEXTS))
def test_call_on_odd_text(nlp, name):
    text = TEXTS[name]
    doc = nlp(text)
    check_doc(doc, text)
    if not text.strip():
        assert len(doc.ents) == 0


def test_pipe_on_odd_texts_matches_call(nlp):
    texts = list(TEXTS.values()) * 3
    docs = list(nlp.pipe(texts, batch_size=4))
    assert len(docs) == len(texts)
    for doc, text in zip(docs, texts):
        check_doc(doc, text)
        single = nlp(text)
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [
            (e.start_char, e.end_char, e.label_) for e in single.ents
        ]
    assert sum(len(doc.ents) for doc in docs) > 0
    # as_tuples keeps the context with its doc
    pairs = list(nlp.pipe([(t, i) for i, t in enumerate(texts)], as_tuples=True, batch_size=5))
    assert [i for _, i in pairs] == list(range(len(texts)))


def test_one_megabyte_text(nlp):
    text = big_text()
    doc = nlp(text)
    check_doc(doc, text)
    assert len(doc.ents) > 1000
    # nlp.pipe, next to small texts, gives the same entities
    docs = list(nlp.pipe(["", text, "IL-2"], batch_size=2))
    check_doc(docs[1], text)
    assert [(e.start_char, e.end_char) for e in docs[1].ents] == [(e.start_char, e.end_char) for e in doc.ents]
    assert docs[0].text == "" and docs[2].text == "IL-2"


def test_text_over_max_length_is_a_clear_error(nlp):
    """Past nlp.max_length (1,000,000 characters by default) spaCy refuses the
    text with E088 before doing any work; see docs/troubleshooting.md."""
    text = "a " * (nlp.max_length // 2 + 1)
    with pytest.raises(ValueError, match=r"\[E088\].*max_length"):
        nlp(text)


def test_memory_benchmark_runs(nlp, tmp_path):
    """benchmarks/memory.py works end to end at a small N."""
    from benchmarks import memory

    result = memory.measure(nlp, [10, 30], batch_size=8, words=60)
    assert [row["docs"] for row in result["rows"]] == [10, 30]
    for row in result["rows"]:
        assert row["peak_rss_mib"] >= result["peak_rss_before_mib"] > 0
        assert row["tokens"] > 60 * row["docs"] * 0.9
    texts = list(memory.synthetic_abstracts(3, words=60))
    assert texts == list(memory.synthetic_abstracts(3, words=60))  # deterministic
    # the CLI, on a pipeline saved to disk
    nlp.to_disk(tmp_path / "tiny")
    result = subprocess.run(
        [sys.executable, "-m", "scripts.memory", str(tmp_path / "tiny"),
         "--checkpoints", "20,40", "--words", "50", "--output", str(tmp_path / "memory.json")],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "peak MiB" in result.stdout
    assert (tmp_path / "memory.json").exists()


# Every code point: lone surrogate halves, NUL, controls, non-characters
# (U+FFFE, U+FDD0), private use, unassigned, combining marks, U+10FFFF
EVERY_CODE_POINT = st.one_of(st.characters(exclude_categories=()), st.integers(0xD800, 0xDFFF).map(chr),
                             st.sampled_from(["\x00", "\ufffe", "\uffff", "\ufdd0", "\U0010ffff", "\u0301",
                                              "IL-2", "c-fos", " ", "T cells"]))


@settings(max_examples=200, deadline=None)
@given(text=st.lists(EVERY_CODE_POINT, max_size=40).map("".join))
def test_a_trained_pipeline_takes_every_text_that_is_not_refused_before_it(nlp, text):
    """`bioner.unicode_text.not_unicode` is the one check serve and annotate
    make before the pipeline: every text it passes is tagged with exact
    offsets, and every text it refuses (a lone surrogate) would fail in spaCy."""
    from bioner.unicode_text import not_unicode

    if not_unicode(text) is None:
        check_doc(nlp(text), text)
    else:
        with pytest.raises(UnicodeEncodeError):
            nlp(text)
