"""bioner/layout.py is the one place that spells the project's paths:
project.yml's commands, as weasel substitutes them, read and write exactly
the paths Layout gives; every command's code dependency is declared once
(the library folder and its own script); the registry's tables load; and no
module spells a training or results folder's file names itself."""
import re
from pathlib import Path

import pytest
from conftest import PROJECT_DIR
from weasel.util import load_project_config

from bioner.errors import BionerError
from bioner.layout import SPLITS, Layout, TrainingDir
from bioner.registry import levers, load_table, LeverEntry, transformers

C, M = "C", "M"
CONFIG = load_project_config(PROJECT_DIR, overrides={"vars.corpus": C, "vars.model": M})
COMMANDS = {c["name"]: c for c in CONFIG["commands"]}
LAYOUT = Layout(Path("."))
TRAINED = LAYOUT.training_dir(C, M)
RESULTS_OF_PRODUCT = ("assets", "corpus", "training", "metrics", "packages", "reports", "annotations")
LAB = ("levers", "arch-speed", "tune", "benchmark", "hf-baseline", "memory", "serve-load")

# every path a command reads or writes, as Layout spells it
EXPECTED = {
    "fetch": {"outputs": [LAYOUT.assets(C)]},
    "convert": {"deps": [LAYOUT.assets(C)], "outputs": [LAYOUT.docbin(C, s) for s in SPLITS] + [LAYOUT.stats(C)]},
    "text": {"outputs": [LAYOUT.text_file, LAYOUT.text_docbin, LAYOUT.text_report]},
    "vectors": {"deps": [LAYOUT.text_file], "outputs": [LAYOUT.vectors]},
    "pretrain": {"deps": [LAYOUT.config("cnn"), LAYOUT.text_docbin], "outputs": [LAYOUT.pretrained_weights]},
    "train": {"deps": [LAYOUT.config(M), LAYOUT.docbin(C, "train"), LAYOUT.docbin(C, "dev")],
              "outputs": [TRAINED.model_best]},
    "evaluate": {"deps": [TRAINED.model_best, LAYOUT.docbin(C, "test")],
                 "outputs": [LAYOUT.metrics(C, M), LAYOUT.predictions(C, M)]},
    "package": {"deps": [TRAINED.model_best, LAYOUT.metrics(C, M)], "outputs_no_cache": [LAYOUT.packages(C, M)]},
    "check-package": {"deps": [LAYOUT.packages(C, M)], "outputs": [LAYOUT.package_check(C, M)]},
    "report": {"deps": [LAYOUT.docbin(C, "test"), LAYOUT.stats(C), LAYOUT.metrics(C, M).parent],
               "outputs": [LAYOUT.report(C)]},
    "readme": {},
    "kb": {"deps": [LAYOUT.docbin(C, "train"), LAYOUT.docbin(C, "dev")],
           "outputs": [LAYOUT.kb(C), LAYOUT.kb(C, train_only=True)]},
    "link": {"deps": [TRAINED.model_best, LAYOUT.kb(C), LAYOUT.kb(C, train_only=True), LAYOUT.docbin(C, "dev")],
             "outputs": [TRAINED.model_linked, LAYOUT.link_figures(C, M)]},
    "annotate": {"deps": [TRAINED.model_best], "outputs": [LAYOUT.annotations(C, M)]},  # + vars.annotate_input
    "serve": {"deps": [TRAINED.model_best]},
    "levers": {"deps": [LAYOUT.docbin(C, "train"), LAYOUT.docbin(C, "dev")]},
    "arch-speed": {"deps": [LAYOUT.docbin(C, "train"), LAYOUT.docbin(C, "test")],
                   "outputs": [LAYOUT.arch_speed(C, ".md"), LAYOUT.arch_speed(C, ".json")]},
    "tune": {"deps": [LAYOUT.config(M), LAYOUT.docbin(C, "train"), LAYOUT.docbin(C, "dev")],
             "outputs": [LAYOUT.tune_results(C, M, ".json"), LAYOUT.tune_results(C, M, ".md"),
                         LAYOUT.tuned_config(C, M)]},
    "benchmark": {},
    "hf-baseline": {"deps": [LAYOUT.docbin(C, "train"), LAYOUT.docbin(C, "test")],
                    "outputs": [LAYOUT.hf_baseline(C)]},
    "memory": {"deps": [TRAINED.model_best], "outputs": [LAYOUT.memory(C, M)]},
    "serve-load": {"deps": [TRAINED.model_best, LAYOUT.docbin(C, "test")],
                   "outputs": [LAYOUT.serve_results / "load.json", LAYOUT.serve_results / "load.md"]},
}


def data_paths(command, key):
    """The command's paths under `key`, less its code (bioner/, benchmarks/, scripts/)."""
    return [Path(p) for p in command.get(key, []) if p.split("/")[0] not in ("bioner", "benchmarks", "scripts")
            and p not in ("constraints.txt", CONFIG["vars"]["annotate_input"])]


def test_every_command_is_checked():
    assert set(COMMANDS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_command_paths_are_the_layouts(name):
    command = COMMANDS[name]
    for key in ("deps", "outputs", "outputs_no_cache"):
        assert data_paths(command, key) == EXPECTED[name].get(key, []), f"{name}.{key}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_code_dependency_is_declared_once(name):
    """A command depends on the library folder (and the lab's), and on the
    script(s) its lines run: a code change reruns it without any hand-kept
    module list."""
    command = COMMANDS[name]
    scripts = [line.split()[2] for line in command["script"] if line.startswith("python -m ")]
    assert all(s.startswith("scripts.") for s in scripts), f"{name}: every command enters through scripts/"
    code = [p for p in command["deps"] if p.split("/")[0] in ("bioner", "benchmarks", "scripts")]
    assert all(len(p.split(", ")) == 1 for p in command["deps"]), f"{name}: two deps substituted into one"
    expected = ["bioner"] + (["benchmarks"] if name in LAB else []) + list(dict.fromkeys(f"{s.replace('.', '/')}.py" for s in scripts))
    if name == "serve-load":  # it starts the server
        expected.insert(-1, "scripts/serve.py")
    assert code == expected


def test_commands_write_no_bytecode_into_the_code_folders(tmp_path):
    """The code folders are deps: a .pyc written into them by a step would
    make the next run see changed code and redo every step."""
    import subprocess
    import sys

    code = "import sys, scripts.fetch; print(sys.dont_write_bytecode)"
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert done.stdout.strip() == "True", done.stderr


def test_training_dir_spells_a_training_folder(tmp_path):
    run = TrainingDir(tmp_path / "cnn")
    assert run.model_best == tmp_path / "cnn" / "model-best" and run.log.name == "training_log.jsonl"
    assert run.partial.path == tmp_path / ".cnn.partial"
    assert run.chunk(2).path == tmp_path / "cnn.chunks" / "chunk-2"
    assert run.chunk_config(2) == tmp_path / "cnn.chunks" / "chunk-2.cfg"
    assert not run.is_training


def test_no_module_spells_a_training_or_results_file_name():
    names = ["model-best", "model-last", "training_log.jsonl", "bioner_fingerprint.json", "tok2vec.bin"]
    found = []
    for path in sorted((PROJECT_DIR / "bioner").rglob("*.py")) + sorted((PROJECT_DIR / "benchmarks").rglob("*.py")) \
            + sorted((PROJECT_DIR / "scripts").rglob("*.py")):
        if path.name == "layout.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf8").splitlines(), 1):
            code = line.split("#")[0]
            # a string literal that is one of the names, or a path that starts with one
            if re.search(r"[\"'](" + "|".join(map(re.escape, names)) + r")(/[^\"']*)?[\"']", code) \
                    or "benchmarks/results" in code:
                found.append(f"{path.relative_to(PROJECT_DIR)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_registry_tables_load_and_levers_extend():
    table = levers(PROJECT_DIR / "project.yml")
    floret = table["cnn_floret"].overrides
    transfer = table["bilstm_floret_from_bionlp13cg"]
    assert transfer.model == "bilstm" and floret.items() <= transfer.overrides.items()
    assert transfer.needs == ["corpus/text/vectors", "training/bionlp13cg/bilstm/tok2vec.bin"]
    assert transformers(PROJECT_DIR / "project.yml")["standin"].overrides["training.batcher.size"] == 800


def test_a_bad_lever_is_one_line(tmp_path):
    (tmp_path / "project.yml").write_text("vars:\n  levers:\n    a: {model: cnn, overide: {x: 1}}\n"
                                          "    b: {extends: c, model: cnn}\n", encoding="utf8")
    with pytest.raises(BionerError, match=r"vars.levers.a.overide: Extra inputs are not permitted"):
        load_table(tmp_path / "project.yml", "levers", LeverEntry)
    (tmp_path / "project.yml").write_text("vars:\n  levers:\n    b: {extends: c, model: cnn}\n", encoding="utf8")
    with pytest.raises(BionerError, match=r"vars.levers.b.extends: 'c' is not another key"):
        levers(tmp_path / "project.yml")


def test_no_module_runs_a_command_of_the_project():
    """The library and the lab call functions (in a child process where a run
    needs its own: bioner.child), never `python -m scripts.<command>`."""
    found = []
    for path in sorted((PROJECT_DIR / "bioner").rglob("*.py")) + sorted((PROJECT_DIR / "benchmarks").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf8").splitlines(), 1):
            if re.search(r"""["']-m["']\s*,\s*["']scripts|["']scripts\.\w+["']|^\s*(import|from) scripts\b""", line):
                found.append(f"{path.relative_to(PROJECT_DIR)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
