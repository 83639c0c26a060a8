"""bioner/packaging.py: the wheel's meta names what the pipeline needs and
which labels it has."""
import shutil

import srsly
from conftest import PROJECT_DIR

from bioner.registry import load_registry
from bioner.packaging import TORCH_REQUIREMENT, build_meta

METRICS = {"ents_f": 0.8, "ents_p": 0.8, "ents_r": 0.8, "ents_per_type": {}, "speed": 1000.0}
CORPORA = load_registry(PROJECT_DIR / "project.yml")


def model_dir(tmp_path, config, labels=("Chemical", "Disease")):
    srsly.write_json(tmp_path / "meta.json", {"labels": {"ner": list(labels)}, "requirements": []})
    shutil.copy(PROJECT_DIR / "configs" / f"{config}.cfg", tmp_path / "config.cfg")
    return tmp_path


def test_bilstm_wheel_requires_torch(tmp_path):
    meta = build_meta(CORPORA["bc5cdr"], "bilstm", model_dir(tmp_path, "bilstm"), METRICS, "0.1.0")
    assert TORCH_REQUIREMENT in meta["requirements"]
    assert meta["name"] == "bioner_bilstm_bc5cdr"
    assert meta["performance"]["ents_f"] == 0.8


def test_cnn_wheel_does_not_require_torch(tmp_path):
    meta = build_meta(CORPORA["jnlpba"], "cnn", model_dir(tmp_path, "cnn"), METRICS, "0.1.0")
    assert not any(r.startswith("torch") for r in meta["requirements"])
    assert meta["name"] == "bioner_cnn"


def test_another_pytorch_encoder_under_another_name_still_requires_torch(tmp_path):
    """What a config holds decides, not its file name: a renamed BiLSTM config."""
    meta = build_meta(CORPORA["jnlpba"], "my_encoder", model_dir(tmp_path, "bilstm"), METRICS, "0.1.0")
    assert TORCH_REQUIREMENT in meta["requirements"]


def test_label_subset_wheel_says_which_labels_it_has(tmp_path):
    meta = build_meta(CORPORA["bc5cdr_chemical"], "cnn", model_dir(tmp_path, "cnn", ["Chemical"]), METRICS, "0.1.0")
    assert meta["name"] == "bioner_cnn_bc5cdr_chemical"
    assert "Entity types: Chemical (a subset of the corpus's types: Chemical)" in meta["description"]
