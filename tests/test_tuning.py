"""benchmarks/tuning.py: every point of the search space is a valid setting of
the configs it tunes (CharacterEmbed included: it builds and trains); the
loop keeps its budgets, records failed and interrupted trials and resumes;
bad input is one line; and `weasel run tune` runs end to end (slow)."""
import itertools
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import srsly
from conftest import PROJECT_DIR, copy_project, corpus_entry, corpus_file, run_main, write_project
from spacy.tokens import DocBin
from spacy.training import Example
from spacy.util import load_config, load_model_from_config

import bioner.components  # noqa: F401  (the configs name bioner's factories)
import benchmarks.tuning as tuning
from bioner.layout import Layout
from bioner.errors import BionerError
from bioner.training import check_setting_keys, parse_settings
from benchmarks.tuning import SPACE, TuneRun, overrides_text, sample_values, settings_for
from scripts.tune import main

TUNABLE = ("cnn", "bilstm", "spacy_default")


def config_of(model: str):
    return load_config(PROJECT_DIR / "configs" / f"{model}.cfg", interpolate=False)


def corner_points():
    """Every choice of every categorical dimension, with the ranges' ends."""
    by_name = {d.name: d for d in SPACE}
    ends = {n: (by_name[n].low, by_name[n].high) for n in ("width", "depth", "dropout", "learn_rate")}
    embeds = [{"embed": "multihash", "attrs": a} for a in by_name["attrs"].choices]
    embeds += [{"embed": "character", "char_nM": m, "char_nC": c}
               for m, c in itertools.product(by_name["char_nM"].choices, by_name["char_nC"].choices)]
    for i, (embed, scale, batch) in enumerate(itertools.product(embeds, by_name["rows_scale"].choices,
                                                                by_name["batch_size"].choices)):
        yield {**embed, "rows_scale": scale, "batch_size": batch, **{n: e[i % 2] for n, e in ends.items()}}


@pytest.mark.parametrize("model", TUNABLE)
def test_every_point_of_the_space_passes_the_key_check(model):
    config = config_of(model)
    path = PROJECT_DIR / "configs" / f"{model}.cfg"
    tuning.check_tunable(config, path)
    points = [sample_values(optuna.trial.FixedTrial(p)) for p in corner_points()]
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    points += [sample_values(study.ask()) for _ in range(30)]
    for values in points:
        settings = settings_for(values, config)
        check_setting_keys(settings, config, path)
        text = overrides_text(settings)
        assert "'" not in text  # usable as --vars.train_overrides (weasel quotes it with ')
        parsed = parse_settings(text)  # spaCy's parser reads 0.3 as 0.30000000000000004
        assert parsed.keys() == settings.keys() and all(parsed[k] == pytest.approx(v) if isinstance(v, float)
                                                        else parsed[k] == v for k, v in settings.items())
        if values["embed"] == "multihash":
            assert len(settings["components.tok2vec.model.embed.rows"]) == len(values["attrs"].split())


@pytest.mark.parametrize("model", TUNABLE)
def test_the_first_point_is_the_config_as_is(model):
    """Trial 0's settings change nothing: it is the yardstick of the search."""
    config = config_of(model)
    point = tuning.config_point(config)
    assert set(point) == {d.name for d in SPACE if d.when in (None, ("embed", "multihash"))}
    settings = settings_for(sample_values(optuna.trial.FixedTrial(point)), config)
    tuned = load_config(PROJECT_DIR / "configs" / f"{model}.cfg", overrides=settings, interpolate=False)
    assert tuned.to_str(interpolate=False) == config.to_str(interpolate=False)


def test_the_space_tunes_no_config_without_a_tok2vec():
    with pytest.raises(BionerError, match="tuning needs a 'tok2vec' component"):
        tuning.check_tunable(config_of("scibert"), Path("configs/scibert.cfg"))


@pytest.mark.parametrize("embed", ["character", "multihash"])
def test_a_sampled_config_builds_and_trains(embed):
    values = {"embed": embed, "attrs": "ORTH NORM PREFIX SUFFIX SHAPE", "char_nM": 16, "char_nC": 4,
              "rows_scale": 0.5, "width": 64, "depth": 2, "dropout": 0.2, "batch_size": 500, "learn_rate": 0.002}
    settings = settings_for(values, config_of("cnn"))
    config = load_config(PROJECT_DIR / "configs" / "cnn.cfg", overrides=settings, interpolate=True)
    block = config["components"]["tok2vec"]["model"]["embed"]
    if embed == "character":
        assert block["@architectures"] == "spacy.CharacterEmbed.v2" and "attrs" not in block
    nlp = load_model_from_config(config, auto_fill=True, validate=True)
    text = "IL-2 gene expression requires NF-kappa B"
    start = text.index("NF")
    example = Example.from_dict(nlp.make_doc(text), {"entities": [(0, 9, "DNA"), (start, len(text), "protein")]})
    nlp.initialize(lambda: [example])
    losses = nlp.update([example])
    assert losses["ner"] > 0 and nlp.get_pipe("tok2vec").model.get_dim("nO") == 64


LOGS = [
    ("\u2718 --overrides: 'x' is not a setting of configs/cnn.cfg\n", "\u2718 --overrides: 'x' is not a setting"),
    ("Traceback (most recent call last):\n  File ...\nconfection.ConfigValidationError:\n\nConfig validation error\n"
     "components.tok2vec.model.embed -> attrs   extra fields not permitted\n{'width': 64}\n",
     "confection.ConfigValidationError: Config validation error components.tok2vec.model.embed -> attrs"),
    ("", "no output"),
]


@pytest.mark.parametrize("text,reason", LOGS)
def test_a_failed_trial_says_why(tmp_path, text, reason):
    (tmp_path / "log").write_text(text, encoding="utf8")
    assert tuning.failure_reason(tmp_path / "log", 1).startswith(f"exit 1: {reason}")


# --- the loop, with a stand-in for scripts.train ---------------------------


@pytest.fixture
def project(tmp_path):
    write_project(tmp_path, {"toy": corpus_entry()})
    (tmp_path / "configs").mkdir()
    for model in ("cnn", "scibert"):
        shutil.copy(PROJECT_DIR / "configs" / f"{model}.cfg", tmp_path / "configs")
    for split in ("train", "dev"):
        (tmp_path / "corpus" / "toy").mkdir(parents=True, exist_ok=True)
        DocBin().to_disk(tmp_path / "corpus" / "toy" / f"{split}.spacy")
    return tmp_path


def fake_training(fail=(), interrupt=(), seconds=0.0):
    """A run_logged that writes what scripts.train would: a log, and a JSONL
    training log whose score grows with the sampled width."""
    calls = []

    def run_logged(target, args, log, title=""):
        request = args[0]
        n = len(calls)
        calls.append(request)
        time.sleep(seconds)
        if n in interrupt:
            raise KeyboardInterrupt
        log.parent.mkdir(parents=True, exist_ok=True)
        if n in fail:
            log.write_text("Traceback ...\nValueError: bad combination\n", encoding="utf8")
            return 1
        log.write_text("ok\n", encoding="utf8")
        settings = request.overrides
        out = request.output
        out.mkdir(parents=True)
        f = settings["components.tok2vec.model.encode.width"] / 10
        srsly.write_jsonl(out / "training_log.jsonl", [{"step": 0, "score": 0.0, "scores": {"ents_f": 0.0}},
                                                       {"step": 4, "score": f / 100, "scores": {"ents_f": f}}])
        return 0

    run_logged.calls = calls
    return run_logged


def run_tune(project, trials, minutes=10.0, steps=4):
    return tuning.tune(Layout(project), TuneRun("toy", "cnn", steps, 0, "-1"), trials, minutes)


def test_failed_trials_are_recorded_and_the_study_resumes(project, monkeypatch):
    monkeypatch.setattr(tuning, "run_logged", fake_training(fail=(1,)))
    results = run_tune(project, 3)
    assert [r["state"] for r in results["trials"]] == ["complete", "fail", "complete"]
    assert [r["config_as_is"] for r in results["trials"]] == [True, False, False]
    assert results["trials"][0]["values"] == tuning.config_point(load_config(project / "configs" / "cnn.cfg"))
    assert results["trials"][1]["reason"] == "exit 1: ValueError: bad combination"
    best = max((r for r in results["trials"] if r["dev_f"] is not None), key=lambda r: r["dev_f"])
    assert results["best"]["trial"] == best["trial"]
    table = (project / "results/tune/toy_cnn.md").read_text(encoding="utf8")
    assert "**best**" in table and "bad combination" in table and "config as is |" in table
    assert srsly.read_json(project / "results/tune/toy_cnn.json")["best"]["overrides"] == best["overrides"]
    tuned = project / "configs" / "cnn_tuned_toy.cfg"
    config = load_config(tuned, interpolate=True)
    assert config["components"]["tok2vec"]["model"]["encode"]["width"] == best["values"]["width"]
    # resumed: the finished trials count, new points are drawn
    monkeypatch.setattr(tuning, "run_logged", fake_training())
    results = run_tune(project, 4)
    assert len(results["trials"]) == 4
    assert results["trials"][3]["values"] != results["trials"][0]["values"]
    with pytest.raises(BionerError, match="other settings .*max_steps 4 -> 6"):
        run_tune(project, 5, steps=6)


def test_the_gain_is_over_the_config_as_is():
    rows = [{"trial": 0, "state": "complete", "dev_f": 80.0, "config_as_is": True},
            {"trial": 1, "state": "complete", "dev_f": 81.25, "config_as_is": False}]
    assert "(trial 0): 80.00, so +1.25 dev F1" in tuning.gain_text(rows, rows[1])
    rows[0]["state"] = "fail"
    assert tuning.gain_text(rows, rows[1]) == ""


def test_an_interrupted_trial_does_not_count(project, monkeypatch):
    monkeypatch.setattr(tuning, "run_logged", fake_training(interrupt=(1,)))
    with pytest.raises(KeyboardInterrupt):
        run_tune(project, 2)
    rows = srsly.read_json(project / "results/tune/toy_cnn.json")["trials"]
    assert [r["state"] for r in rows] == ["complete", "fail"] and rows[1]["reason"].startswith("interrupted")
    # a tune killed outright (SIGKILL) leaves its trial running in the study
    study = optuna.load_study(study_name="toy_cnn", storage=f"sqlite:///{project}/training/toy/tune/cnn/study.db")
    study.ask()
    monkeypatch.setattr(tuning, "run_logged", fake_training())
    results = run_tune(project, 2)
    assert [r["state"] for r in results["trials"]] == ["complete", "fail", "fail", "complete"]


def test_no_trial_starts_after_the_time_budget(project, monkeypatch, capsys):
    monkeypatch.setattr(tuning, "run_logged", fake_training(seconds=0.3))
    results = run_tune(project, 5, minutes=0.002)  # 0.12 s: the first trial outlasts it
    assert len(results["trials"]) == 1
    assert "time budget of 0.002 min spent" in capsys.readouterr().err


def test_a_config_tune_did_not_write_is_not_replaced(project, monkeypatch):
    (project / "configs" / "cnn_tuned_toy.cfg").write_text("# mine\n", encoding="utf8")
    monkeypatch.setattr(tuning, "run_logged", fake_training())
    with pytest.raises(BionerError, match="was not written by tune"):
        run_tune(project, 1)
    assert not tuning.run_logged.calls  # refused before any trial
    assert (project / "configs" / "cnn_tuned_toy.cfg").read_text(encoding="utf8") == "# mine\n"


BAD_INPUT = [
    (["nope", "cnn"], "Unknown corpus 'nope'"),
    (["toy", "nope"], "Unknown model 'nope'"),
    (["toy", "cnn", "--trials", "0"], "--trials must be at least 1"),
    (["toy", "cnn", "--minutes", "0"], "--minutes must be more than 0"),
    (["toy", "cnn", "--max-steps", "0"], "--max-steps must be at least 1"),
    (["toy", "scibert"], "tuning needs a 'tok2vec' component"),
]


@pytest.mark.parametrize("argv,message", BAD_INPUT)
def test_bad_input_is_one_line(project, capsys, argv, message):
    rc, out, err = run_main(capsys, main, argv + ["--root", str(project)])
    assert rc == 1 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (project / "training").exists()


def test_a_missing_corpus_says_run_convert(project, capsys):
    (project / "corpus" / "toy" / "dev.spacy").unlink()
    rc, out, err = run_main(capsys, main, ["toy", "cnn", "--root", str(project)])
    assert rc == 1 and "dev.spacy not found. Run the convert step first" in err


def test_project_command_writes_the_layout():
    command = next(c for c in srsly.read_yaml(PROJECT_DIR / "project.yml")["commands"] if c["name"] == "tune")
    layout = Layout(Path("."))
    expected = [layout.tune_results("C", "M", ".json"), layout.tune_results("C", "M", ".md"),
                layout.tuned_config("C", "M")]
    assert [Path(p.replace("${vars.corpus}", "C").replace("${vars.model}", "M")) for p in command["outputs"]] == expected


# --- end to end: weasel run tune on a tiny corpus ---------------------------


def weasel(project: Path, command: str, *vars: str) -> str:
    cmd = [sys.executable, "-m", "weasel", "run", command, str(project), "--vars.corpus", "tiny", "--vars.gpu", "-1",
           "--vars.eval_frequency", "2", *vars]
    result = subprocess.run(cmd, cwd=project, capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_weasel_run_tune_end_to_end(tmp_path):
    from test_workflow import head_sentences

    project = copy_project(tmp_path / "project")
    for split, name, n in (("train", "train.tsv", 30), ("dev", "devel.tsv", 10), ("test", "test.tsv", 5)):
        path = project / "assets" / "tiny" / f"{split}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(head_sentences(corpus_file("JNLPBA", name), n), encoding="utf8")
    config = srsly.read_yaml(project / "project.yml")
    config["vars"]["corpora"]["tiny"] = corpus_entry(package_suffix="_tiny")
    srsly.write_yaml(project / "project.yml", config)
    subprocess.run([sys.executable, "-m", "scripts.convert", "tiny"], cwd=project, check=True, capture_output=True)
    budget = ["--vars.tune_steps", "4", "--vars.tune_minutes", "10"]

    out = weasel(project, "tune", *budget, "--vars.tune_trials", "2")
    results = srsly.read_json(project / "results/tune/tiny_cnn.json")
    assert [r["state"] for r in results["trials"]] == ["complete", "complete"], results["trials"]
    assert all(0 <= r["dev_f"] <= 100 and r["best_step"] in (0, 2, 4) for r in results["trials"])
    assert f"overrides: {results['best']['overrides']}" in out
    table = (project / "results/tune/tiny_cnn.md").read_text(encoding="utf8")
    assert [line.split(" | ")[1] for line in table.splitlines() if line.startswith(("| 0 |", "| 1 |"))] == \
        ["complete", "complete"]

    weasel(project, "tune", *budget, "--vars.tune_trials", "3")  # resumes: exactly one more trial
    again = srsly.read_json(project / "results/tune/tiny_cnn.json")
    assert len(again["trials"]) == 3 and again["trials"][:2] == results["trials"]
    # each trial keeps its logs, not its models
    assert sorted(p.name for p in (project / "training/tiny/tune/cnn/trial-0").iterdir()) == \
        ["bioner_fingerprint.json", "training_log.jsonl"]

    # the best config trains as a model of the workflow (weasel run train: scripts.train)
    weasel(project, "train", "--vars.model", "cnn_tuned_tiny", "--vars.max_steps", "2")
    trained = project / "training/tiny/cnn_tuned_tiny"
    assert (trained / "model-best").exists()
    assert srsly.read_json(trained / "bioner_fingerprint.json")["config"] == "configs/cnn_tuned_tiny.cfg"
    # and the overrides string passes through weasel's var substitution, JSON quotes included
    # (that a CharacterEmbed point trains: test_a_sampled_config_builds_and_trains)
    char = {"embed": "character", "char_nM": 16, "char_nC": 4, "rows_scale": 0.5, "width": 64, "depth": 2,
            "dropout": 0.1, "batch_size": 500, "learn_rate": 0.001}
    settings = settings_for(char, config_of("cnn"))
    dry = weasel(project, "train", "--dry", "--vars.train_overrides", overrides_text(settings))
    argv = shlex.split(next(line for line in dry.splitlines() if "scripts.train" in line).split(": ", 1)[1])
    assert parse_settings(argv[argv.index("--overrides") + 1]) == settings
