"""The levers of issue #12 that change how a CNN starts: a tok2vec exported
by one training initialises another (transfer), `spacy pretrain` on the
in-domain text gives weights the same way, and benchmarks/levers.py
summarises runs over seeds and refuses bad lever entries."""
from pathlib import Path

import pytest
import spacy
import srsly
from conftest import PROJECT_DIR, run_main
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from spacy.util import load_config, load_model_from_config
from spacy.vocab import Vocab

from benchmarks.levers import markdown, mean_sd, record_run, seed_placeholder, seeds_markdown, summary
from bioner.assets import git_blob_id
from bioner.errors import BionerError
from bioner.layout import TrainingDir
from bioner.registry import levers
from bioner.training import TrainRequest, train_pipeline
from scripts.pretrain import main as pretrain_main

CONFIG = PROJECT_DIR / "configs" / "cnn.cfg"
SMALL_OVERRIDES = {"components.tok2vec.model.encode.width": 32, "components.tok2vec.model.encode.depth": 1}


def tiny_docs(n: int = 12):
    vocab = Vocab()
    words = ["Cisplatin", "causes", "acute", "renal", "failure", "in", "rats", "."]
    tags = ["B-Chemical", "O", "B-Disease", "I-Disease", "I-Disease", "O", "O", "O"]
    return [Doc(vocab, words=words, ents=tags) for _ in range(n)]


@pytest.fixture
def corpus_dir(tmp_path):
    path = tmp_path / "corpus"
    path.mkdir()
    for split in ("train", "dev"):
        DocBin(docs=tiny_docs()).to_disk(path / f"{split}.spacy")
    return path


def initialised_tok2vec(overrides: dict) -> bytes:
    config = load_config(CONFIG, overrides=overrides, interpolate=False)
    nlp = load_model_from_config(config, auto_fill=True)
    examples = [Example(nlp.make_doc(d.text), d) for d in tiny_docs(2)]
    nlp.initialize(lambda: examples)
    return nlp.get_pipe("tok2vec").model.to_bytes()


def test_a_trained_tok2vec_initialises_the_next_training(tmp_path, corpus_dir):
    source = tmp_path / "training" / "src" / "cnn"
    train_pipeline(TrainRequest(CONFIG, source, corpus_dir, "-1", max_steps=4, overrides=SMALL_OVERRIDES))
    weights = TrainingDir(source).tok2vec
    trained = spacy.load(source / "model-best").get_pipe("tok2vec").model.to_bytes()
    assert weights.read_bytes() == trained
    settings = {"components.tok2vec.model.encode.width": 32, "components.tok2vec.model.encode.depth": 1}
    assert initialised_tok2vec({**settings, "paths.init_tok2vec": str(weights)}) == trained
    assert initialised_tok2vec(settings) != trained  # without it: a fresh initialisation
    # and through the trainer, with the fingerprint following the weights' content
    target = tmp_path / "training" / "dst" / "cnn"
    init = TrainRequest(CONFIG, target, corpus_dir, "-1", max_steps=2,
                        overrides={**SMALL_OVERRIDES, "paths.init_tok2vec": str(weights)})
    train_pipeline(init)
    first = srsly.read_json(target / "bioner_fingerprint.json")["fingerprint"]
    weights.write_bytes(initialised_tok2vec(settings))  # other weights, same path
    train_pipeline(init)
    assert srsly.read_json(target / "bioner_fingerprint.json")["fingerprint"] != first  # retrained


def test_pretrain_writes_weights_only_when_complete(tmp_path, capsys):
    text = tmp_path / "text.spacy"
    DocBin(docs=tiny_docs(20)).to_disk(text)
    out = tmp_path / "pretrain"
    rc, _, err = run_main(capsys, pretrain_main, [str(CONFIG), str(out), "--text", str(text), "--gpu", "-1"])
    assert rc == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["log.jsonl", "model-last.bin", "model0.bin"]
    weights = (out / "model-last.bin").read_bytes()
    assert initialised_tok2vec({"paths.init_tok2vec": str(out / "model-last.bin")}) == weights
    rc, _, err = run_main(capsys, pretrain_main, [str(CONFIG), str(tmp_path / "x"), "--text", str(tmp_path / "none.spacy")])
    assert rc == 1 and "none.spacy: not found" in err and not (tmp_path / "x").exists()


def test_lever_entries_are_checked(tmp_path):
    project = tmp_path / "project.yml"
    srsly.write_yaml(project, {"vars": {"levers": {"a": {"overrides": {"x": 1}}}}})
    with pytest.raises(BionerError, match="vars.levers.a.model: Field required"):
        levers(project)
    srsly.write_yaml(project, {"vars": {"levers": {"a": {"model": "cnn", "overrides": "x=1"}}}})
    with pytest.raises(BionerError, match="vars.levers.a.overrides: Input should be a valid dictionary"):
        levers(project)
    assert set(levers(PROJECT_DIR / "project.yml")) >= {"cnn", "cnn_floret", "cnn_pretrain"}


def test_summary_means_over_seeds_against_the_cnn_row(tmp_path):
    def run(seed, dev, test=None, **settings):
        rec = {"settings": {"seed": seed, **settings}, "command": f"python -m scripts.train x --seed {seed}",
               "seconds": 600, "dev_f": dev, "best_step": 1000 + seed, "last_step": 3000}
        return {**rec, "test_f": test} if test is not None else rec

    results = {"runs": {"cnn/seed0": run(0, 80.0), "cnn/seed1": run(1, 81.0),
                        "cnn_floret/seed0": run(0, 82.0, 79.0), "cnn_floret/seed1": run(1, 83.0, 80.0),
                        "cnn_floret+train_dev/seed0": run(0, 99.0, 81.0)}}
    rows = {r["lever"]: r for r in summary(results)}
    assert rows["cnn_floret"]["dev"] == "82.50 ± 0.71" and rows["cnn_floret"]["delta"] == "+2.00"
    assert rows["cnn_floret"]["test"] == "79.50 ± 0.71" and rows["cnn"]["test"] == ""
    assert rows["cnn_floret+train_dev"]["dev"] == "(in training)" and rows["cnn_floret+train_dev"]["delta"] == ""
    assert rows["cnn"]["command"].endswith("--seed <N>")
    assert mean_sd([1.0]) == "1.00 (1 seed)"
    srsly.write_json(tmp_path / "bc5cdr.json", results)
    configs = PROJECT_DIR / "configs"
    assert "| cnn_floret | 2 | 82.50 ± 0.71 | +2.00 |" in markdown(tmp_path, configs)
    assert "| bc5cdr | cnn_floret | 2 | **79.50 ± 0.71** | 82.50 ± 0.71 |" in seeds_markdown(tmp_path, configs)
    assert "| bc5cdr | cnn |" not in seeds_markdown(tmp_path, configs)  # no test figure: not a final config
    # a run recorded through scripts.levers: its command for any seed
    assert seed_placeholder("python -m scripts.levers bc5cdr cnn --seeds 2 --max-steps 3000", 2) == \
        "python -m scripts.levers bc5cdr cnn --seeds <N> --max-steps 3000"


def test_a_row_whose_config_changed_since_is_marked(tmp_path):
    """A lever's figures belong to the config it was trained with: once the
    config file changes, its command no longer reproduces them, and the
    tables say so, with the git blob id of the version that was used."""
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "cnn.cfg").write_text("[a]\nwidth = 128\n")
    (configs / "bilstm.cfg").write_text("[a]\nwidth = 64\n")
    used = {m: git_blob_id(configs / f"{m}.cfg") for m in ("cnn", "bilstm")}

    def run(model, seed):
        return {"settings": {"model": model, "seed": seed}, "command": f"python -m scripts.train x --seed {seed}",
                "config_blob": used[model], "seconds": 60, "dev_f": 80.0 + seed, "best_step": 200,
                "last_step": 400, "test_f": 79.0}

    results_dir = tmp_path / "levers"
    results_dir.mkdir()
    srsly.write_json(results_dir / "bc5cdr.json", {"runs": {f"{m}/seed{s}": run(m, s)
                                                           for m in ("cnn", "bilstm") for s in (0, 1)}})
    assert "†" not in markdown(results_dir, configs) + seeds_markdown(results_dir, configs)

    (configs / "cnn.cfg").write_text("[a]\nwidth = 96\n")
    table, seeds = markdown(results_dir, configs), seeds_markdown(results_dir, configs)
    for text in (table, seeds):
        assert "| cnn † |" in text and "| bilstm |" in text
        assert f"`configs/cnn.cfg` as git blob {used['cnn'][:10]} (`git cat-file -p {used['cnn'][:10]}`" in text
        assert "configs/bilstm.cfg` as git blob" not in text


def test_a_rerun_with_a_changed_config_keeps_the_earlier_runs(tmp_path):
    """Re-running a lever after its config changed must not lose the runs of
    the earlier version, nor compare the levers of that time with the new
    baseline: each lever is compared with the cnn runs of its cnn.cfg."""
    def run(blob, dev, model="cnn", seed=0):
        return {"settings": {"model": model, "seed": seed}, "command": f"python -m scripts.train x --seed {seed}",
                "config_blob": blob, "seconds": 60, "dev_f": dev, "best_step": 200, "last_step": 400}

    results = {"runs": {}}
    record_run(results, "cnn/seed0", run("a" * 40, 80.0))
    record_run(results, "cnn_wide/seed0", run("a" * 40, 81.0))  # a lever of that time
    record_run(results, "bilstm/seed0", run("b" * 40, 84.0, model="bilstm"))
    record_run(results, "cnn/seed0", run("a" * 40, 80.5))  # same config: replaced
    assert set(results["runs"]) == {"cnn/seed0", "cnn_wide/seed0", "bilstm/seed0"}
    record_run(results, "cnn/seed0", run("c" * 40, 78.0))  # cnn.cfg changed
    record_run(results, "cnn_floret/seed0", run("c" * 40, 79.5))
    assert results["runs"]["cnn/seed0@aaaaaaaaaa"]["dev_f"] == 80.5
    rows = {(r["lever"], r["dev"]): r["delta"] for r in summary(results)}
    assert rows == {("cnn", "80.50 (1 seed)"): "", ("cnn", "78.00 (1 seed)"): "",
                    ("cnn_wide", "81.00 (1 seed)"): "+0.50", ("cnn_floret", "79.50 (1 seed)"): "+1.50",
                    ("bilstm", "84.00 (1 seed)"): "+6.00"}  # other configs: against the current cnn
