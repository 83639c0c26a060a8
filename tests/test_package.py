"""scripts/package.py: the wheel's meta names what the pipeline needs."""
import srsly

from scripts.package import TORCH_REQUIREMENT, build_meta

METRICS = {"ents_f": 0.8, "ents_p": 0.8, "ents_r": 0.8, "ents_per_type": {}, "speed": 1000.0}


def model_dir(tmp_path, encoder):
    srsly.write_json(tmp_path / "meta.json", {"labels": {"ner": ["Chemical", "Disease"]}, "requirements": []})
    (tmp_path / "config.cfg").write_text(f'[components.tok2vec.model.encode]\n@architectures = "{encoder}"\n')
    return tmp_path


def test_bilstm_wheel_requires_torch(tmp_path):
    meta = build_meta("bc5cdr", "bilstm", model_dir(tmp_path, "spacy.TorchBiLSTMEncoder.v1"), METRICS, "0.1.0")
    assert TORCH_REQUIREMENT in meta["requirements"]
    assert meta["name"] == "bioner_bilstm_bc5cdr"
    assert meta["performance"]["ents_f"] == 0.8


def test_cnn_wheel_does_not_require_torch(tmp_path):
    meta = build_meta("jnlpba", "cnn", model_dir(tmp_path, "spacy.MaxoutWindowEncoder.v2"), METRICS, "0.1.0")
    assert not any(r.startswith("torch") for r in meta["requirements"])
    assert meta["name"] == "bioner_cnn"
