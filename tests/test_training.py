"""bioner/training.py: an interrupted training never leaves a model that later
steps would trust; a re-run restarts cleanly; an unchanged one is skipped."""
from pathlib import Path

import pytest
import srsly
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab
from conftest import PROJECT_DIR

import bioner.runtime as runtime
import bioner.training as train_module
from bioner.errors import BionerError
from bioner.training import TransformerChoice, choose_transformer
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
    train_module.train_pipeline(train_module.TrainRequest(CONFIG, tmp_path / "training" / "jnlpba" / "cnn", corpus_dir, "-1"))


def test_interrupted_training_leaves_no_model_and_rerun_restarts(tmp_path, corpus_dir, monkeypatch):
    output = tmp_path / "training" / "jnlpba" / "cnn"
    monkeypatch.setattr(train_module, "spacy_train", fake_train(fail_after_steps=True))
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, corpus_dir)
    assert not output.exists()  # nothing a later step could take for a model
    # the package step refuses a folder that holds no finished pipeline
    with pytest.raises(BionerError, match="no meta.json"):
        package("jnlpba", "cnn", root=tmp_path, version="0.1.0", pipeline=None)
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
    monkeypatch.setattr(runtime, "gpu_is_available", lambda: False)
    assert runtime.resolve_gpu("auto") == -1
    assert runtime.resolve_gpu("-1") == -1
    with pytest.raises(BionerError, match="no GPU is usable"):
        runtime.resolve_gpu("0")
    with pytest.raises(BionerError, match="must be 'auto'"):
        runtime.resolve_gpu("cuda")


def overrides_of(config, corpus_dir, transformer=None, max_steps=0, eval_frequency=0, settings=""):
    """build_overrides of the request a command line with these options makes."""
    request = train_module.TrainRequest(config, corpus_dir / "out", corpus_dir, "-1", transformer, max_steps,
                                        eval_frequency, train_module.parse_settings(settings))
    return train_module.build_overrides(request, corpus_dir / "log")


def test_step_budget_is_evaluated_at_its_last_step(tmp_path):
    """Otherwise the last steps are never candidates for model-best (and a short
    budget would leave the untrained step-0 model as model-best)."""
    overrides = overrides_of(CONFIG, tmp_path, None, 50, 0)
    assert overrides["training.max_steps"] == 50
    assert overrides["training.eval_frequency"] == 50  # the config's is 200
    overrides = overrides_of(CONFIG, tmp_path, None, 1000, 0)
    assert "training.eval_frequency" not in overrides
    # 450 steps, evaluated every 200 would never evaluate steps 401-450: every 150
    overrides = overrides_of(CONFIG, tmp_path, None, 450, 0)
    assert overrides["training.eval_frequency"] == 150
    # 451 = 11 x 41: evaluating every 41 steps would cost too much; kept at 200
    overrides = overrides_of(CONFIG, tmp_path, None, 451, 0)
    assert "training.eval_frequency" not in overrides
    scibert = overrides_of(PROJECT_DIR / "configs" / "scibert.cfg", tmp_path, TransformerChoice("/models/x", True), 180, 0)
    assert scibert["training.optimizer.learn_rate.warmup_steps"] == 18
    assert scibert["components.transformer.model.name"] == "/models/x"
    assert scibert["components.transformer.model.tokenizer_config.do_lower_case"] is True


def test_overrides_are_section_key_value_pairs(tmp_path):
    overrides = overrides_of(CONFIG, tmp_path, None, 0, 0,
                                             "training.dropout=0.2 training.batcher.size=800")
    assert overrides["training.dropout"] == 0.2 and overrides["training.batcher.size"] == 800
    with pytest.raises(BionerError, match="section.key=value"):
        overrides_of(CONFIG, tmp_path, None, 0, 0, "training.dropout 0.2")


def test_transformer_budget_applies_to_transformer_configs_only(tmp_path):
    """The stand-in's CPU budget (vars.transformers.standin in project.yml)
    reaches a config with a transformer, whatever its file name; never the CNN."""
    project_file = PROJECT_DIR / "project.yml"
    standin = choose_transformer("standin", project_file)
    assert standin.lowercase and Path(standin.name, "config.json").exists()
    renamed = tmp_path / "biobert.cfg"
    renamed.write_text((PROJECT_DIR / "configs" / "scibert.cfg").read_text())
    scibert = overrides_of(renamed, tmp_path, standin, 0, 0, "training.dropout=0.2")
    assert scibert["components.transformer.model.name"] == standin.name
    assert scibert["training.max_steps"] == 2000 and scibert["training.batcher.size"] == 800
    assert scibert["training.optimizer.learn_rate.initial_rate"] == 1e-4 and scibert["training.dropout"] == 0.2
    cnn = overrides_of(CONFIG, tmp_path, standin, 0, 0)
    assert not any("transformer" in k or k.startswith("training.") for k in cnn)
    # an HF name or folder that is not a table key is taken as it is
    other = choose_transformer("/models/biobert", project_file, lowercase=True)
    assert other == TransformerChoice("/models/biobert", True)


def test_training_refuses_a_folder_that_is_not_a_training_output(tmp_path, corpus_dir, monkeypatch):
    """A slip like OUTPUT_DIR=training/<corpus> must not replace every model of the corpus."""
    monkeypatch.setattr(train_module, "spacy_train", fake_train(fail_after_steps=False))
    corpus_models = tmp_path / "training" / "jnlpba"
    (corpus_models / "cnn" / "model-best").mkdir(parents=True)
    with pytest.raises(BionerError, match="not a training output"):
        train_module.train_pipeline(train_module.TrainRequest(CONFIG, corpus_models, corpus_dir, "-1"))
    assert (corpus_models / "cnn" / "model-best").is_dir()


def test_missing_gpu_is_an_error_even_when_training_would_be_skipped(tmp_path, corpus_dir, monkeypatch):
    monkeypatch.setattr(train_module, "spacy_train", fake_train(fail_after_steps=False))
    run(tmp_path, corpus_dir)
    monkeypatch.setattr(runtime, "gpu_is_available", lambda: False)
    with pytest.raises(BionerError, match="--gpu 7 asked for, but no GPU is usable"):
        train_module.train_pipeline(train_module.TrainRequest(CONFIG, tmp_path / "training" / "jnlpba" / "cnn", corpus_dir, "7"))


def test_unknown_override_key_is_rejected_with_the_closest_key(tmp_path):
    with pytest.raises(BionerError, match=r"'training.dropuot' is not a setting of .*cnn.cfg.*did you mean 'training.dropout'"):
        overrides_of(CONFIG, tmp_path, None, 0, 0, "training.dropuot=0.2")
    with pytest.raises(BionerError, match="not a setting"):
        overrides_of(CONFIG, tmp_path, None, 0, 0, "nosection.x=1")
