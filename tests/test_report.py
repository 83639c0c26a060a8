"""Tests for bioner/report/ and bioner/evaluation/taxonomy.py: the error taxonomy on hand-made Docs, its
agreement with spaCy's NER scorer, and the report command on tiny files."""
import json
from pathlib import Path

import pytest
import srsly
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from spacy.scorer import get_ner_prf
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example
from spacy.vocab import Vocab
from typer.testing import CliRunner

from bioner.report import read_training_log
from scripts.report import report
from bioner.evaluation.taxonomy import (
    BOUNDARY,
    BOUNDARY_TYPE,
    EXACT,
    MISSED,
    SPURIOUS,
    WRONG_TYPE,
    Ent,
    by_category,
    confusion,
    match_entities,
    project,
    scores,
    taxonomy,
)

WORDS = "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19".split()
# gold, pred: (start, end, label) on WORDS
GOLD = [(0, 1, "P"), (2, 3, "P"), (4, 6, "P"), (7, 9, "P"), (11, 12, "C"), (15, 16, "P"), (17, 18, "P")]
PRED = [(0, 1, "P"), (2, 3, "D"), (4, 5, "P"), (8, 10, "D"), (13, 14, "C"), (15, 18, "P")]


def make_doc(vocab, words, ents=(), sent_starts=None):
    doc = Doc(vocab, words=words, sent_starts=sent_starts)
    doc.ents = [Span(doc, s, e, label=lb) for s, e, lb in ents]
    return doc


def test_taxonomy_counts_every_category():
    vocab = Vocab()
    counts = taxonomy([make_doc(vocab, WORDS, GOLD)], [make_doc(vocab, WORDS, PRED)])
    table = by_category(counts)
    # (15,18) P covers gold (15,16) and (17,18), overlap 1 each: the earlier
    # gold entity gets the pair, the other one is missed
    assert dict(table["P"]) == {EXACT: 1, WRONG_TYPE: 1, BOUNDARY: 2, BOUNDARY_TYPE: 1, MISSED: 1}
    assert dict(table["C"]) == {MISSED: 1, SPURIOUS: 1}
    assert "D" not in table  # wrong-type pairs count under the gold type
    assert sum(counts.values()) == 8  # 7 gold + 6 predicted, 5 of them in pairs
    axis, matrix = confusion(counts)
    assert axis == ["C", "D", "P", "none"]
    assert matrix == [
        [0, 0, 0, 1],  # C: missed
        [0, 0, 0, 0],
        [0, 2, 3, 1],  # P: wrong type + boundary/type as D, exact + boundary as P, missed
        [1, 0, 0, 0],  # spurious C
    ]


def test_exact_and_partial_scores():
    vocab = Vocab()
    counts = taxonomy([make_doc(vocab, WORDS, GOLD)], [make_doc(vocab, WORDS, PRED)])
    exact, partial = scores(counts), scores(counts, partial=True)
    assert exact["micro"]["p"] == pytest.approx(1 / 6)
    assert exact["micro"]["r"] == pytest.approx(1 / 7)
    assert partial["micro"]["p"] == pytest.approx(3 / 6)
    assert partial["micro"]["r"] == pytest.approx(3 / 7)
    # P: 6 gold, 3 predicted; C: 1 gold, 1 predicted; D: predicted only
    assert exact["per_type"]["P"] == pytest.approx({"p": 1 / 3, "r": 1 / 6, "f": 2 / 9, "support": 6})
    assert partial["per_type"]["P"]["r"] == pytest.approx(3 / 6)
    assert exact["per_type"]["C"]["f"] == 0.0
    assert exact["per_type"]["D"] == {"p": 0.0, "r": 0.0, "f": 0.0, "support": 0}
    # macro over gold types (P, C), not D
    assert exact["macro"]["f"] == pytest.approx((2 / 9 + 0.0) / 2)


def to_ents(spans):
    return [Ent(start, end, label, start, end) for start, end, label in spans]


def test_same_type_overlap_wins_over_larger_overlap():
    outcomes = match_entities(to_ents([(0, 2, "P"), (2, 5, "D")]), to_ents([(1, 5, "P")]))
    got = sorted((o.category, o.gold and o.gold.label, o.pred and o.pred.label) for o in outcomes)
    assert got == [(BOUNDARY, "P", "P"), (MISSED, "D", None)]


def test_larger_overlap_wins_within_a_category():
    outcomes = match_entities(to_ents([(0, 1, "P"), (2, 5, "P")]), to_ents([(0, 4, "P")]))
    got = sorted((o.category, o.gold, o.pred) for o in outcomes)
    assert [(c, g[:2] if g else None) for c, g, _ in got] == [(BOUNDARY, (2, 5)), (MISSED, (0, 1))]


def test_predictions_on_other_tokens_are_projected_onto_gold_tokens():
    vocab = Vocab()
    gold = make_doc(vocab, ["25-Dihydroxyvitamin", "D3", "receptors", "bind"], [(0, 3, "protein")])
    # the pipeline's tokenizer splits differently; text is the same
    words = ["25", "-", "Dihydroxyvitamin", "D3", "receptors", "bind"]
    spaces = [False, False, True, True, True, True]
    whole = Doc(vocab, words=words, spaces=spaces)
    whole.ents = [Span(whole, 0, 5, label="protein")]
    part = Doc(vocab, words=words, spaces=spaces)
    part.ents = [Span(part, 0, 1, label="protein"), Span(part, 5, 6, label="DNA")]
    assert gold.text == whole.text
    assert [(e.start, e.end) for e in project(whole, gold)] == [(0, 3)]
    # "25" touches the gold token "25-Dihydroxyvitamin"
    assert [(e.start, e.end, e.start_char, e.end_char) for e in project(part, gold)] == [(0, 1, 0, 2), (3, 4, 33, 37)]
    assert by_category(taxonomy([gold], [whole]))["protein"] == {EXACT: 1}
    table = by_category(taxonomy([gold], [part]))
    assert table["protein"] == {BOUNDARY: 1}
    assert table["DNA"] == {SPURIOUS: 1}


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_exact_scores_equal_spacy_ner_scorer(data):
    """Micro and per-type exact P/R/F1 agree with spaCy's NER scorer, also
    when the predicted Doc is tokenised differently."""
    vocab = Vocab()
    n = 12
    words = [f"t{i}" for i in range(n)]

    def spans():
        cuts = sorted(data.draw(st.sets(st.integers(0, n), max_size=8)))
        out = []
        for start, end in zip(cuts[::2], cuts[1::2]):
            if start < end:
                out.append((start, end, data.draw(st.sampled_from(["A", "B"]))))
        return out

    gold = make_doc(vocab, words, spans())
    # predicted tokens: every gold token split in two ("t" + digits)
    sub_words, sub_spaces = [], []
    for w in words:
        sub_words += [w[0], w[1:]]
        sub_spaces += [False, True]
    pred = Doc(vocab, words=sub_words, spaces=sub_spaces)
    pred_spans = []
    for s, e, lb in spans():
        # start or end inside a gold token sometimes
        ps = 2 * s + data.draw(st.integers(0, 1))
        pe = 2 * e - data.draw(st.integers(0, 1))
        if ps < pe:
            pred_spans.append(Span(pred, ps, pe, label=lb))
    pred.ents = pred_spans
    assert pred.text == gold.text
    ref = get_ner_prf([Example(pred, gold)])
    ours = scores(taxonomy([gold], [pred]))
    if ref["ents_f"] is None:
        assert not gold.ents and not pred.ents
        return
    assert ours["micro"]["p"] == pytest.approx(ref["ents_p"])
    assert ours["micro"]["r"] == pytest.approx(ref["ents_r"])
    assert ours["micro"]["f"] == pytest.approx(ref["ents_f"])
    for label, prf in ref["ents_per_type"].items():
        assert ours["per_type"][label]["f"] == pytest.approx(prf["f"])


def test_read_training_log(tmp_path):
    path = tmp_path / "training_log.jsonl"
    srsly.write_jsonl(path, [
        {"epoch": 0, "step": 0, "losses": {"tok2vec": 0.0, "ner": 50.0}, "scores": {"ents_f": 0.0}, "score": 0.0},
        {"epoch": 0, "step": 100, "losses": {"tok2vec": 10.0, "ner": 400.0}, "scores": {"ents_f": 40.5}, "score": 0.405},
        {"epoch": 1, "step": 300, "losses": {"ner": 200.0}, "score": 0.5},
    ])
    rows = read_training_log(path)
    assert [r["step"] for r in rows] == [0, 100, 300]
    # the logger sums the losses since the previous evaluation
    assert rows[0]["losses"]["ner"] == 50.0
    assert rows[1]["losses"] == {"tok2vec": 0.1, "ner": 4.0}
    assert rows[2]["losses"]["ner"] == 1.0
    assert [r["dev_f"] for r in rows] == [0.0, 40.5, 50.0]


# -- the report command on tiny files ----------------------------------------

CORPUS = "jnlpba"  # a known corpus, so the published numbers appear


def tiny_project(root: Path, *, metrics_f=None):
    """corpus/, metrics/ and training/ folders laid out like the real ones:
    two gold docs, model m1 (some errors), model m2 (perfect), and a
    metrics file without predictions (not a model for the report)."""
    vocab = Vocab()
    words1 = "IL-2 gene expression in T cells requires NF-kB . The Jurkat line was used .".split()
    sents1 = [True] + [False] * 8 + [True] + [False] * 5
    gold_ents1 = [(0, 2, "DNA"), (4, 6, "cell_type"), (7, 8, "protein"), (10, 12, "cell_line")]
    words2 = "p53 binds here . Nothing to see .".split()
    sents2 = [True, False, False, False, True, False, False, False]
    p53 = [(0, 1, "protein")]
    gold = [make_doc(vocab, words1, gold_ents1, sents1), make_doc(vocab, words2, p53, sents2)]
    # m1: exact DNA and p53, boundary cell_type, type error on NF-kB, missed
    # cell_line, spurious "used"; m2: all right
    m1 = [make_doc(vocab, words1, [(0, 2, "DNA"), (5, 6, "cell_type"), (7, 8, "DNA"), (13, 14, "protein")]),
          make_doc(vocab, words2, p53)]
    m2 = [make_doc(vocab, words1, gold_ents1), make_doc(vocab, words2, p53)]
    corpus_dir = root / "corpus" / CORPUS
    corpus_dir.mkdir(parents=True)
    DocBin(docs=gold).to_disk(corpus_dir / "test.spacy")
    srsly.write_json(corpus_dir / "stats.json", {"corpus": CORPUS, "splits": {"test": {
        "documents": 2, "sentences": 4, "tokens": 23, "entities": 5,
        "entities_per_type": {"protein": 2, "DNA": 1, "cell_type": 1, "cell_line": 1}}}})
    metrics_dir = root / "metrics" / CORPUS
    metrics_dir.mkdir(parents=True)
    for name, docs in (("m1", m1), ("m2", m2)):
        f = scores(taxonomy(gold, docs))["micro"]["f"]
        srsly.write_json(metrics_dir / f"{name}.json", {
            "model": f"training/{CORPUS}/{name}/model-best", "n_docs": 2, "n_words": 23,
            "device": "cpu (test)", "speed": 12345.0, "ents_f": f if metrics_f is None else metrics_f,
        })
        DocBin(docs=docs).to_disk(metrics_dir / f"{name}.predictions.spacy")
    srsly.write_json(metrics_dir / "orphan.json", {"ents_f": 0.5})
    # our own reference rows come from the benchmark's results.json, named there
    (root / "results").mkdir(parents=True)
    srsly.write_json(root / "results" / "results.json", {
        "references": {"spacy_default": "spaCy default NER (init config -p ner, efficiency, no vectors)"}, "rows": [
        {"corpus": CORPUS, "model": "spacy_default", "ents_f": 0.6845, "trained_with": "config as is"},
        {"corpus": "other", "model": "spacy_default", "ents_f": 0.1}]})
    log_dir = root / "training" / CORPUS / "m1"
    log_dir.mkdir(parents=True)
    srsly.write_jsonl(log_dir / "training_log.jsonl", [
        {"epoch": 0, "step": step, "losses": {"tok2vec": 1.0, "ner": 100.0 / (step + 1)},
         "scores": {"ents_f": f, "ents_p": f, "ents_r": f}, "score": f / 100}
        for step, f in ((0, 0.0), (10, 20.0), (20, 35.5), (30, 30.0))
    ])
    return root


def run_report(root: Path, *extra: str):
    app = typer.Typer()
    app.command()(report)
    args = [CORPUS, "--root", str(root), *extra]
    return CliRunner().invoke(app, args)


def test_report_writes_every_file(tmp_path):
    root = tiny_project(tmp_path)
    result = run_report(root)
    assert result.exit_code == 0, result.output
    out = root / "reports" / CORPUS
    assert sorted(p.name for p in out.iterdir()) == [
        "confusion_m1.png", "confusion_m2.png", "examples.html", "per_type_f1.png",
        "report.md", "summary.json", "training_curves.png",
    ]
    for png in out.glob("*.png"):
        with Image.open(png) as image:
            image.verify()
        with Image.open(png) as image:
            assert image.format == "PNG"
            assert image.width >= 400 and image.height >= 300
    md = (out / "report.md").read_text(encoding="utf8")
    # m1: 2 exact of 5 gold and 5 predicted -> P = R = F1 = 40; m2 perfect
    assert "| `m1` | 40.00 | 40.00 | **40.00** |" in md
    assert "| `m2` | 100.00 | 100.00 | **100.00** |" in md
    # partial: + 1 boundary error
    assert "| `m1` | *micro* | 40.00 | 40.00 | 40.00 | 60.00 | 60.00 | 60.00 | +20.00 |" in md
    # per type, most frequent first: protein 2 gold, m1 1 right of 2 predicted
    assert "| protein | 2 | 50.00 | 50.00 | **50.00** | 100.00 | 100.00 | **100.00** |" in md
    assert "| BINDER | 80.30 | Zhang et al. 2023, BINDER (ICLR) |" in md
    assert "| spaCy default NER (init config -p ner, efficiency, no vectors) | 68.45 |" in md
    assert "| 10.00 |" not in md  # another corpus's row
    assert "35.50 @ 20" in md  # best dev F1 from the training log
    assert "orphan" not in md
    assert "Warning" not in md
    summary = json.loads((out / "summary.json").read_text())
    assert summary["m1"]["taxonomy"]["cell_type"] == {BOUNDARY: 1}
    assert summary["m1"]["taxonomy"]["protein"] == {EXACT: 1, WRONG_TYPE: 1, SPURIOUS: 1}
    assert summary["m1"]["taxonomy"]["cell_line"] == {MISSED: 1}
    page = (out / "examples.html").read_text(encoding="utf8")
    # 3 sentences with entities (the one without is left out), errors first
    assert page.count('<section class="bad">') == 2
    assert page.count('<section class="good">') == 1
    assert page.rindex('class="bad"') < page.index('class="good"')
    assert "NF-kB" in page and "m1" in page and "m2" in page
    assert "spurious</span> <q>used</q>" in page


def test_report_flags_metrics_that_disagree_with_predictions(tmp_path):
    root = tiny_project(tmp_path, metrics_f=0.9)
    result = run_report(root)
    assert result.exit_code == 0, result.output
    md = (root / "reports" / CORPUS / "report.md").read_text(encoding="utf8")
    assert "**Warning:** `m1`: m1.json says F1 90.00 but its predictions give 40.00" in md


def test_failed_report_leaves_the_old_one(tmp_path):
    root = tiny_project(tmp_path)
    assert run_report(root).exit_code == 0
    before = (root / "reports" / CORPUS / "report.md").read_text(encoding="utf8")
    # predictions that do not belong to this test split
    vocab = Vocab()
    DocBin(docs=[make_doc(vocab, ["other", "text"])]).to_disk(root / "metrics" / CORPUS / "m2.predictions.spacy")
    result = run_report(root)
    assert result.exit_code != 0
    assert (root / "reports" / CORPUS / "report.md").read_text(encoding="utf8") == before
    assert [p.name for p in (root / "reports").iterdir()] == [CORPUS]  # no temporary leftovers


def test_report_without_models_fails_cleanly(tmp_path):
    root = tiny_project(tmp_path)
    for path in (root / "metrics" / CORPUS).glob("*.predictions.spacy"):
        path.unlink()
    result = run_report(root)
    assert result.exit_code != 0
    assert "Run the evaluate step first" in str(result.exception) + result.output
    assert not (root / "reports" / CORPUS).exists()
