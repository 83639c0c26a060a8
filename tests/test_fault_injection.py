"""Kill every step at random points, with SIGTERM and with SIGKILL, as a
scheduler, an OOM killer or a closed laptop would: the previous outputs stay
byte-identical, nothing partial is visible under an output name, SIGTERM
leaves no temporary file behind, and a re-run completes. Slow: CI runs it."""
import hashlib
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import srsly
from conftest import copy_project, corpus_entry, corpus_file

from bioner.assets import git_blob_id
from test_workflow import N_SENTENCES, head_sentences

pytestmark = pytest.mark.slow
TEMPORARY = (".tmp", ".partial", ".old")
# a step that finishes before its signal is run again with a new input and killed sooner
ATTEMPTS = 4


def snapshot(project: Path, outputs):
    """sha256 of every visible file under the output paths."""
    seen = {}
    for output in outputs:
        path = project / output
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []
        for file in files:
            rel = file.relative_to(project)
            if not any(part.startswith(".") for part in rel.parts):
                seen[str(rel)] = hashlib.sha256(file.read_bytes()).hexdigest()
    return seen


def leftovers(project: Path):
    return sorted(str(p.relative_to(project)) for p in project.rglob(".*") if p.name.endswith(TEMPORARY))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    project = copy_project(root / "project")
    files = {}
    for name, n in N_SENTENCES.items():
        split = {"devel.tsv": "dev"}.get(name, name[:-4])
        path = project / "assets" / "tiny" / f"{split}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(head_sentences(corpus_file("JNLPBA", name), n), encoding="utf8")
        files[split] = {"file": name, "git_blob": git_blob_id(path)}
    config = srsly.read_yaml(project / "project.yml")
    config["vars"]["corpora"]["tiny"] = corpus_entry(files=files, package_suffix="_tiny")
    srsly.write_yaml(project / "project.yml", config)
    return project


def step(name, *args):
    return [sys.executable, "-m", f"scripts.{name}", *args]


STEPS = {
    "convert": (lambda round_: step("convert", "tiny"), ["corpus/tiny"]),
    "train": (lambda round_: step("train", "configs/cnn.cfg", "training/tiny/cnn", "--corpus-dir", "corpus/tiny",
                                  "--gpu", "-1", "--max-steps", str(6 + 2 * round_), "--eval-frequency", "2"),
              ["training/tiny/cnn"]),
    "evaluate": (lambda round_: step("evaluate", "training/tiny/cnn/model-best", "corpus/tiny/test.spacy",
                                     "metrics/tiny/cnn.json", "--gpu", "-1"),
                 ["metrics/tiny/cnn.json", "metrics/tiny/cnn.predictions.spacy"]),
    "package": (lambda round_: step("package", "tiny", "cnn", "--version", f"0.1.{round_}"), ["packages/tiny/cnn"]),
}


def change_input(project: Path, name: str, round_: int) -> None:
    """Make the next run of `name` write something new."""
    if name == "convert":
        path = project / "assets" / "tiny" / "train.tsv"
        path.write_text(path.read_text(encoding="utf8").replace("\tO\n", "\tO\n", 1) + f"round{round_}\tO\n\n",
                        encoding="utf8")


def complete(project: Path, name: str) -> bool:
    """Whether the step's outputs form one complete, readable set."""
    if name == "convert":
        stats = srsly.read_json(project / "corpus" / "tiny" / "stats.json")
        return all((project / "corpus" / "tiny" / f"{s}.spacy").stat().st_size > 0 for s in stats["splits"])
    if name == "train":
        out = project / "training" / "tiny" / "cnn"
        return (out / "model-best" / "meta.json").exists() and "fingerprint" in srsly.read_json(out / "bioner_fingerprint.json")
    if name == "evaluate":
        return "ents_f" in srsly.read_json(project / "metrics" / "tiny" / "cnn.json") and \
            (project / "metrics" / "tiny" / "cnn.predictions.spacy").exists()
    return len(list((project / "packages" / "tiny" / "cnn").glob("*/dist/*.whl"))) == 1


def run(project: Path, argv) -> float:
    start = time.monotonic()
    result = subprocess.run(argv, cwd=project, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return time.monotonic() - start


def test_killed_steps_keep_the_previous_outputs(project):
    rng = random.Random(0)
    durations = {name: run(project, argv(0)) for name, (argv, _) in STEPS.items()}
    killed = unchanged = 0
    for round_, sig in enumerate((signal.SIGTERM, signal.SIGKILL), start=1):
        for name, (argv, outputs) in STEPS.items():
            # after the imports (about half the run), before the end
            fraction = rng.uniform(0.5, 0.9)
            for attempt in range(ATTEMPTS):
                # each attempt writes something new (a step that finished is not re-run as is)
                variant = round_ + 10 * attempt
                change_input(project, name, variant)
                before = snapshot(project, outputs)
                assert before
                process = subprocess.Popen(argv(variant), cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(durations[name] * fraction)
                process.send_signal(sig)
                rc = process.wait(timeout=120)
                finished = rc == 0  # it exited before the signal came
                if not finished:
                    break
                # done before the signal (a warm run is faster than the timed cold one, and
                # the other test worker shares the cores): a complete new output; kill sooner
                assert complete(project, name), name
                fraction /= 2
            killed += not finished
            if not finished:
                # the old outputs, or (killed in the instant after the last rename) the complete new set
                after_kill = snapshot(project, outputs)
                assert after_kill == before or complete(project, name), (name, sig)
                unchanged += after_kill == before
                if sig == signal.SIGTERM:
                    # 143: unwound by bioner's handler; -15: killed while still importing
                    assert rc in (128 + signal.SIGTERM, -signal.SIGTERM), (name, rc)
                    assert leftovers(project) == [], name
            run(project, argv(variant))  # a re-run completes
            assert snapshot(project, outputs) != before or name == "evaluate", name
    # SIGKILL leaves hidden temporary names (never an output name); SIGTERM leaves none (checked above)
    assert killed >= 6 and unchanged >= 4  # most kills landed mid-step
