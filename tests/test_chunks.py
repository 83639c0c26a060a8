"""bioner/chunks.py: a training in saved chunks continues from the last
chunk (weights sourced, learning-rate schedule resumed), a re-run skips the
chunks that are done, and a stop loses one chunk at most."""
import itertools
from pathlib import Path

import pytest
import spacy
import srsly
from spacy.tokens import DocBin
from spacy.util import load_config
from thinc.api import registry

import bioner.training as train_module
from bioner.chunks import chunk_learn_rate, train_in_chunks
from bioner.errors import BionerError
from bioner.layout import TrainingDir
from bioner.training import TrainRequest
from conftest import PROJECT_DIR

CONFIG = PROJECT_DIR / "configs" / "cnn.cfg"
CHEMICALS = ["aspirin", "naloxone", "clonidine", "heparin", "lithium", "cisplatin"]
DISEASES = ["hypertension", "headache", "nephrotoxicity", "seizures"]


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    """Short sentences with Chemical and Disease mentions: enough for a CNN to
    learn something in a few steps."""
    nlp = spacy.blank("en")
    path = tmp_path_factory.mktemp("corpus")
    for split, n in (("train", 60), ("dev", 12)):
        db = DocBin()
        for i in range(n):
            chem, dis = CHEMICALS[i % len(CHEMICALS)], DISEASES[i % len(DISEASES)]
            doc = nlp(f"Patients given {chem} developed {dis} after two weeks .")
            doc.ents = [doc.char_span(doc.text.index(chem), doc.text.index(chem) + len(chem), "Chemical"),
                        doc.char_span(doc.text.index(dis), doc.text.index(dis) + len(dis), "Disease")]
            db.add(doc)
        db.to_disk(path / f"{split}.spacy")
    return path


def test_chunk_schedule_is_the_runs_schedule_from_its_first_step():
    run = {"@schedules": "warmup_linear.v1", "initial_rate": 1e-3, "warmup_steps": 10, "total_steps": 100}
    whole = list(itertools.islice(registry.resolve({"x": run})["x"], 100))
    for offset in (0, 10, 40, 90):
        chunk = chunk_learn_rate({**run, "total_steps": "${training.max_steps}"}, offset, 100)
        rates = list(itertools.islice(registry.resolve({"x": chunk})["x"], 100 - offset))
        assert rates == pytest.approx(whole[offset:], abs=1e-12)
    assert chunk_learn_rate(0.001, 40, 100) == 0.001
    with pytest.raises(BionerError, match="update 5, inside the 10-step warm-up"):
        chunk_learn_rate(run, 5, 100)
    with pytest.raises(BionerError, match="constant learn_rate or warmup_linear"):
        chunk_learn_rate({"@schedules": "cyclic_triangular.v1"}, 40, 100)


def test_chunks_continue_skip_when_done_and_a_stop_loses_one_chunk(tmp_path, corpus_dir, monkeypatch):
    output = tmp_path / "training" / "toy" / "cnn"
    request = TrainRequest(CONFIG, output, corpus_dir, "-1", max_steps=30, eval_frequency=10,
                           overrides={"training.batcher.size.start": 60}, chunk_steps=10)

    def train():
        train_in_chunks(request)

    train()
    chunks = [TrainingDir(output).chunk(i).path for i in range(3)]
    assert all((c / "model-last").exists() for c in chunks) and not TrainingDir(output).chunk(3).path.exists()
    # chunk 1 starts from chunk 0's last model: every component sourced from it ...
    config = load_config(chunks[1].with_name("chunk-1.cfg"))
    assert {c["source"] for c in config["components"].values()} == {str(chunks[0] / "model-last")}
    assert config["training"]["max_steps"] == 10 and config["paths"]["init_tok2vec"] is None
    # ... so it does not repeat chunk 0: a fresh start with the same seed sees the same
    # batches and would have the same first loss and the same last weights
    logs = [[r for r in srsly.read_jsonl(c / "training_log.jsonl") if "score" in r] for c in chunks]
    assert logs[1][0]["losses"]["ner"] < logs[0][0]["losses"]["ner"] / 2
    weights = [(c / "model-last" / "ner" / "model").read_bytes() for c in chunks[:2]]
    assert weights[0] != weights[1]
    # the output looks like one training's: both models, one log in the run's updates
    # (spaCy's steps 0..10 are 11 updates)
    steps = [r["step"] for r in srsly.read_jsonl(output / "training_log.jsonl") if "score" in r]
    assert steps == [0, 10, 11, 21, 22, 32]
    stamp = srsly.read_json(output / "bioner_fingerprint.json")
    assert len(stamp["chunks"]) == 3 and stamp["overrides"]["training.max_steps"] == 30
    assert (output / "model-best" / "meta.json").exists()
    assert spacy.load(output / "model-best")("Patients given aspirin developed seizures .") is not None

    # a re-run trains nothing
    calls = []
    real_train = train_module.spacy_train
    monkeypatch.setattr(train_module, "spacy_train", lambda *a, **k: (calls.append(a[1]), real_train(*a, **k)))
    train()
    assert calls == []
    # a stop in chunk 2 (its folder never written): the re-run trains chunk 2 only, the same
    # model as before (seeded), and assembles the output again
    import shutil

    shutil.rmtree(chunks[2])
    train()
    assert [Path(c).name for c in calls] == [".chunk-2.partial"]
    assert [r["step"] for r in srsly.read_jsonl(output / "training_log.jsonl") if "score" in r] == steps


def test_chunks_must_end_on_an_evaluation(tmp_path, corpus_dir):
    with pytest.raises(BionerError, match="not a multiple of eval_frequency 10"):
        train_in_chunks(TrainRequest(CONFIG, tmp_path / "out", corpus_dir, "-1", max_steps=30, eval_frequency=10,
                                     chunk_steps=15))
