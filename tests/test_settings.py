"""bioner/settings.py and `make`: a setting that could run a command or is
not one of the project's is refused with one line before weasel sees it."""
import os
import shutil
import subprocess

import pytest
from conftest import PROJECT_DIR

from bioner.layout import Layout
from bioner.errors import BionerError
from bioner.settings import check_settings

GOOD = {"CORPUS": "bc5cdr", "MODELS": "cnn scibert", "GPU": "auto", "STEPS": "450", "SEED": "2",
        "TRANSFORMER": "standin", "BENCH_CORPORA": "jnlpba bc5cdr",
        "TRAIN_OVERRIDES": "training.dropout=0.2 paths.vectors=corpus/text/vectors"}
BAD = [
    ("CORPUS", 'bc5cdr", "touch /tmp/x', "not a corpus"),
    ("CORPUS", "nope", "not a corpus; known: anatem, bc5cdr"),
    ("MODELS", "cnn; rm -rf /", "no such config"),
    ("MODELS", "../project", "no such config"),
    ("GPU", "$(touch /tmp/x)", "must be auto"),
    ("STEPS", "4 --vars.corpus x", "whole number"),
    ("SEED", "1;id", "whole number"),
    ("TRANSFORMER", "x`id`", "Hugging Face name or folder"),
    ("TRAIN_OVERRIDES", 'training.dropout=0.2" ; touch /tmp/x "', "section.key=value"),
    ("TRAIN_OVERRIDES", "training.dropout=$HOME", "section.key=value"),
    ("BENCH_MODELS", "cnn bilstm&", "no such config"),
]


def test_good_settings_pass():
    assert check_settings(GOOD, Layout(PROJECT_DIR)) == GOOD


@pytest.mark.parametrize("setting,value,what", BAD)
def test_bad_setting_is_one_line_naming_it(setting, value, what):
    with pytest.raises(BionerError) as err:
        check_settings({**GOOD, setting: value}, Layout(PROJECT_DIR))
    assert str(err.value).startswith(f"{setting}=") and what in str(err.value) and "\n" not in str(err.value)


def test_make_refuses_a_bad_setting_before_weasel_runs(tmp_path):
    """Through make itself: nothing is run, nothing is created."""
    marker = tmp_path / "pwned"
    env = {k: v for k, v in os.environ.items() if k not in GOOD}
    result = subprocess.run(["make", "all", f"TRAIN_OVERRIDES=training.dropout=0.2\" ; touch {marker} \""],
                            cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "TRAIN_OVERRIDES=" in result.stderr and "section.key=value" in result.stderr
    assert "weasel" not in result.stdout and not marker.exists()


def test_make_install_updates_an_existing_venv_without_recreating_it(tmp_path):
    """A changed requirements.txt reinstalls into .venv; re-creating it with
    whatever `python3` is first on PATH would break a venv made by another Python."""
    for name in ("Makefile", "requirements.txt", "constraints.txt"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    calls = tmp_path / "calls"
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    # the venv's python and the PYTHON make falls back to, both recording how they are called
    for script, name in ((bin_dir / "python", "venv-python"), (tmp_path / "other-python", "other-python")):
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> {calls}\n')
        script.chmod(0o755)
    result = subprocess.run(["make", "install", f"PYTHON={tmp_path / 'other-python'}"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    seen = calls.read_text().splitlines()
    assert not any(line.startswith("other-python -m venv") for line in seen), seen
    assert any(line.startswith("venv-python -m pip install") for line in seen), seen
    assert (tmp_path / ".venv" / ".installed").exists()


def test_make_all_links_a_corpus_whose_ids_name_concepts(tmp_path):
    """make all runs `all`, or `all-linked` (kb, link; model-linked evaluated and
    packaged) for a corpus whose entry says its gold ids are MeSH concepts."""
    from conftest import corpus_entry, write_project

    from bioner.settings import workflow_args

    write_project(tmp_path, {"plain": corpus_entry(), "ids": corpus_entry(format="pubtator", concepts="mesh")})
    layout = Layout(tmp_path)
    assert workflow_args("plain", layout) == ["all"]
    assert workflow_args("ids", layout) == ["all-linked", "--vars.final", "model-linked"]
    real = Layout(PROJECT_DIR)
    assert workflow_args("bc5cdr_pubtator", real)[0] == "all-linked" and workflow_args("bc5cdr", real) == ["all"]
