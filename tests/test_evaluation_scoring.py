"""bioner/evaluation/scoring.py and the evaluate step: scores are checked
before anything is written, so a bad input never replaces good metrics."""
import pytest
import spacy
from conftest import files_under, run_main
from spacy.tokens import Doc, DocBin

from scripts import evaluate


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model-best"
    nlp = spacy.blank("en")
    nlp.add_pipe("ner").add_label("protein")
    nlp.initialize()
    nlp.to_disk(path)
    return path


def gold(tmp_path, ents):
    vocab = spacy.blank("en").vocab
    words = ["IL-2", "gene", "expression", "."]
    path = tmp_path / "test.spacy"
    DocBin(docs=[Doc(vocab, words=words, ents=ents)]).to_disk(path)
    return path


def test_no_entity_scores_keeps_the_previous_metrics(tmp_path, pipeline, capsys):
    """Before the fix: `ents_f: null` was written over the metrics, then a traceback."""
    metrics = tmp_path / "metrics" / "cnn.json"
    metrics.parent.mkdir()
    metrics.write_text('{"ents_f": 0.8}')
    before = files_under(metrics.parent)
    rc, out, err = run_main(capsys, evaluate.main, [str(pipeline), str(gold(tmp_path, ["O"] * 4)), str(metrics), "--gpu", "-1"])
    assert rc == 1 and "Traceback" not in out + err
    [line] = [l for l in err.splitlines() if l.strip()]
    assert "the scorer returned no entity scores" in line and str(tmp_path / "test.spacy") in line
    assert metrics.read_text() == '{"ents_f": 0.8}'
    assert files_under(metrics.parent) == before  # no predictions file, no temporary file


def test_complete_scores_write_metrics_and_predictions(tmp_path, pipeline, capsys):
    metrics = tmp_path / "metrics" / "cnn.json"
    rc, out, err = run_main(capsys, evaluate.main, [str(pipeline), str(gold(tmp_path, ["B-protein", "O", "O", "O"])),
                                                    str(metrics), "--gpu", "-1"])
    assert rc == 0, err
    assert "Evaluating on CPU" in out and "Training" not in out
    assert files_under(metrics.parent) == ["cnn.json", "cnn.predictions.spacy"]
