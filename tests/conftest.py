import os
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

# CI has ../shared beside the checkout; BIONER_MIRROR may point elsewhere.
MIRROR = Path(os.environ.get("BIONER_MIRROR") or PROJECT_DIR.parent / "shared" / "corpora")
if not MIRROR.is_absolute():
    MIRROR = (PROJECT_DIR / MIRROR).resolve()


def corpus_file(corpus_dir: str, name: str) -> Path:
    """A real corpus file from the mirror, or from already-fetched assets."""
    split = {"devel.tsv": "dev.tsv"}.get(name, name)
    for path in (MIRROR / corpus_dir / name, PROJECT_DIR / "assets" / corpus_dir.split("-")[0].lower() / split):
        if path.exists():
            return path
    pytest.skip(f"{corpus_dir}/{name}: neither the mirror ({MIRROR}) nor assets/ has it")


def run_main(capsys, main, argv):
    """Run a script's `main(argv)` in-process; return (exit status, stdout, stderr)."""
    capsys.readouterr()
    rc = main(argv)
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def files_under(root: Path):
    """Every file and folder below root (temporary ones included), relative to it."""
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


NO_BLOB = "0" * 40


def corpus_entry(**fields):
    """A valid vars.corpora entry for a test project; `fields` override."""
    entry = {
        "title": "Toy corpus (test)",
        "url": "http://127.0.0.1:9/not-used",
        "mirror_dir": "TOY",
        "files": {split: {"file": f"{split}.tsv", "git_blob": NO_BLOB} for split in ("train", "dev", "test")},
        "sentences_per_doc": 0,
        "package_suffix": "_toy",
        "license": "CC BY 4.0 (test)",
        "source_url": "http://127.0.0.1:9/not-used",
    }
    entry.update(fields)
    return entry


def write_project(root: Path, corpora: dict, **extra_vars) -> Path:
    """A project.yml in root with these corpus entries; returns its path."""
    import srsly

    path = Path(root) / "project.yml"
    srsly.write_yaml(path, {"vars": {"corpora": corpora, **extra_vars}})
    return path


# A small real pipeline for the serve tests: blank English + an entity ruler,
# with the meta a trained bioner pipeline has (version, performance).
RULER_PATTERNS = {"Chemical": ["naloxone", "clonidine", "aspirin"], "Disease": ["headache", "hypertension"]}


@pytest.fixture(scope="session")
def ruler_pipeline(tmp_path_factory) -> Path:
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": label, "pattern": [{"LOWER": word}]}
                        for label, words in RULER_PATTERNS.items() for word in words])
    nlp.meta.update({"name": "serve_test", "version": "1.2.3", "performance": {"ents_f": 0.8125}})
    path = tmp_path_factory.mktemp("pipelines") / "ruler"
    nlp.to_disk(path)
    return path


def copy_project(project: Path) -> Path:
    """A copy of the project's code and settings (no data), for end-to-end runs."""
    import shutil

    project.mkdir(parents=True)
    for name in ("project.yml", "constraints.txt"):
        shutil.copy(PROJECT_DIR / name, project / name)
    for name in ("configs", "scripts", "bioner", "benchmarks"):
        shutil.copytree(PROJECT_DIR / name, project / name, ignore=shutil.ignore_patterns("__pycache__", "results"))
    return project
