"""scripts/train.py: an interrupted training never leaves a model that later
steps would trust; a re-run restarts cleanly; an unchanged one is skipped."""
from pathlib import Path

import pytest
import srsly
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab
from conftest import PROJECT_DIR

import scripts.train as train_module
from scripts.common import BionerError
from scripts.package import package

CONFIG = PROJECT_DIR / "configs" / "cnn.cfg"


@pytest.fixture
def corpus_dir(tmp_path):
    path = tmp_path / "corpus"
    path.mkdir()
    for split in ("train", "dev"):
        DocBin().to_disk(path / f"{split}.spacy")
    return path


def fake_train(fail_after_steps: bool):
    def spacy_train(config_path, output_path, use_gpu, overrides):
        (Path(output_path) / "model-last").mkdir(parents=True)
        (Path(output_path) / "model-last" / "config.cfg").write_text("half")
        if fail_after_steps:
            raise KeyboardInterrupt  # Ctrl-C in the middle of training
        (Path(output_path) / "model-best").mkdir()
        srsly.write_json(Path(output_path) / "model-best" / "meta.json", {"labels": {"ner": ["X"]}})

    return spacy_train


def run(tmp_path, corpus_dir):
    train_module.train(CONFIG, tmp_path / "training" / "cnn", corpus_dir=corpus_dir, gpu="-1",
                       transformer_model="x", transformer_lowercase="false", max_steps=0, eval_frequency=0,
                       overrides="")


def test_interrupted_training_leaves_no_model_and_rerun_restarts(tmp_path, corpus_dir, monkeypatch):
    output = tmp_path / "training" / "cnn"
    monkeypatch.setattr(train_module, "spacy_train", fake_train(fail_after_steps=True))
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, corpus_dir)
    assert not output.exists()  # nothing a later step could take for a model
    # the package step refuses a folder that holds no finished pipeline
    with pytest.raises(BionerError, match="no meta.json"):
        package("jnlpba", "cnn", output.parent, tmp_path / "m.json", tmp_path / "packages", "0.1.0")
    monkeypatch.setattr(train_module, "spacy_train", fake_train(fail_after_steps=False))
    run(tmp_path, corpus_dir)
    assert (output / "model-best" / "meta.json").exists()
    assert not any(p.name.endswith(".partial") for p in output.parent.iterdir())
    assert "fingerprint" in srsly.read_json(output / "bioner_fingerprint.json")


def test_unchanged_training_is_skipped_changed_data_retrains(tmp_path, corpus_dir, monkeypatch):
    calls = []

    def counting_train(*args, **kwargs):
        calls.append(1)
        fake_train(fail_after_steps=False)(*args, **kwargs)

    monkeypatch.setattr(train_module, "spacy_train", counting_train)
    run(tmp_path, corpus_dir)
    run(tmp_path, corpus_dir)
    assert len(calls) == 1
    doc_bin = DocBin()
    doc_bin.add(Doc(Vocab(), words=["IL-2"], ents=["B-protein"]))
    doc_bin.to_disk(corpus_dir / "train.spacy")
    run(tmp_path, corpus_dir)
    assert len(calls) == 2


def test_gpu_asked_for_without_one_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(train_module, "gpu_is_available", lambda: False)
    assert train_module.resolve_gpu("auto") == -1
    assert train_module.resolve_gpu("-1") == -1
    with pytest.raises(BionerError, match="no GPU is usable"):
        train_module.resolve_gpu("0")
    with pytest.raises(BionerError, match="must be 'auto'"):
        train_module.resolve_gpu("cuda")


def test_step_budget_is_evaluated_at_its_last_step(tmp_path):
    """Otherwise the last steps are never candidates for model-best (and a short
    budget would leave the untrained step-0 model as model-best)."""
    overrides = train_module.build_overrides(CONFIG, tmp_path, tmp_path / "log", "x", False, 50, 0)
    assert overrides["training.max_steps"] == 50
    assert overrides["training.eval_frequency"] == 50  # the config's is 200
    overrides = train_module.build_overrides(CONFIG, tmp_path, tmp_path / "log", "x", False, 1000, 0)
    assert "training.eval_frequency" not in overrides
    # 450 steps, evaluated every 200 would never evaluate steps 401-450: every 150
    overrides = train_module.build_overrides(CONFIG, tmp_path, tmp_path / "log", "x", False, 450, 0)
    assert overrides["training.eval_frequency"] == 150
    # 451 = 11 x 41: evaluating every 41 steps would cost too much; kept at 200
    overrides = train_module.build_overrides(CONFIG, tmp_path, tmp_path / "log", "x", False, 451, 0)
    assert "training.eval_frequency" not in overrides
    scibert = train_module.build_overrides(PROJECT_DIR / "configs" / "scibert.cfg", tmp_path, tmp_path / "log",
                                           "/models/x", True, 180, 0)
    assert scibert["training.optimizer.learn_rate.warmup_steps"] == 18
    assert scibert["components.transformer.model.name"] == "/models/x"
    assert scibert["components.transformer.model.tokenizer_config.do_lower_case"] is True


def test_overrides_are_section_key_value_pairs(tmp_path):
    overrides = train_module.build_overrides(CONFIG, tmp_path, tmp_path / "log", "x", False, 0, 0,
                                             "training.dropout=0.2 training.batcher.size=800")
    assert overrides["training.dropout"] == 0.2 and overrides["training.batcher.size"] == 800
    with pytest.raises(BionerError, match="section.key=value"):
        train_module.build_overrides(CONFIG, tmp_path, tmp_path / "log", "x", False, 0, 0, "training.dropout 0.2")
