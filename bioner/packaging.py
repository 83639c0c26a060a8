"""Package a trained pipeline as a wheel with `spacy package`, after filling
in its meta (name, version, description, labels, data sources with their
licences, test scores), and prove the wheel is self-contained.

    packages/<corpus>/<model>/en_bioner_<model><suffix>-<version>/dist/*.whl

The package name carries the corpus's `package_suffix`, so pipelines for
different corpora (or label subsets) never overwrite each other.
"""
import json
import os
import subprocess
import tempfile
import venv
from pathlib import Path
from typing import Any, Dict

import srsly
from spacy.cli.package import package as spacy_package

from .components import SHIPPED_MODULES
from .console import info
from .corpora import Corpus
from .errors import BionerError
from .io import atomic_path
from .models import traits_of

TORCH_REQUIREMENT = "torch>=2.0"
PERFORMANCE_KEYS = ("ents_f", "ents_p", "ents_r", "ents_per_type", "speed")
MTL_SOURCE = {
    "name": "MTL-Bioinformatics-2016 (Crichton et al., 2017)",
    "url": "https://github.com/cambridgeltl/MTL-Bioinformatics-2016",
    "license": "CC BY 4.0 (non-code material)",
}


def package_name(corpus: Corpus, model: str) -> str:
    """Package name without the language prefix spaCy adds (en_...)."""
    return f"bioner_{model}{corpus.package_suffix}"


def build_meta(corpus: Corpus, model: str, model_dir: Path, metrics: Dict[str, Any], version: str) -> Dict[str, Any]:
    meta = srsly.read_json(Path(model_dir) / "meta.json")
    labels = meta["labels"]["ner"]
    subset = f" (a subset of the corpus's types: {', '.join(corpus.labels)})" if corpus.labels else ""
    meta.update(
        {
            "name": package_name(corpus, model),
            "version": version,
            "description": (
                f"Biomedical named entity recognition ({model} pipeline) trained on "
                f"{corpus.title}. Entity types: {', '.join(labels)}{subset}. "
                f"Test F1 {metrics['ents_f'] * 100:.2f}."
            ),
            "author": "bioner",
            "license": "MIT (code); see sources for the training data's terms",
            "sources": [
                {"name": corpus.title, "url": corpus.source_url, "license": corpus.license},
                MTL_SOURCE,
            ],
            "performance": {k: metrics[k] for k in PERFORMANCE_KEYS if k in metrics},
        }
    )
    # spacy package adds spacy-transformers for transformer pipelines by itself,
    # but not torch for a PyTorch layer inside spaCy's own tok2vec (the BiLSTM)
    if traits_of(model_dir).needs_torch:
        meta["requirements"] = sorted(set(meta.get("requirements", [])) | {TORCH_REQUIREMENT})
    return meta


def package_pipeline(meta: Dict[str, Any], model_dir: Path, output_dir: Path) -> Path:
    """Build the wheel into `output_dir` (replaced only by a complete build);
    return the wheel's path."""
    with atomic_path(output_dir) as tmp:
        tmp.mkdir(parents=True)
        srsly.write_json(tmp / "meta.json", meta)
        spacy_package(
            model_dir,
            tmp,
            meta_path=tmp / "meta.json",
            # the components' code travels inside the wheel
            code_paths=[Path(p) for p in SHIPPED_MODULES],
            create_sdist=False,
            create_wheel=True,
            require_parent=True,  # spacy itself in install_requires
            force=True,
            silent=True,
        )
        (tmp / "meta.json").unlink()
        if not sorted(tmp.glob("*/dist/*.whl")):
            raise BionerError(f"spacy package built no wheel for {model_dir}")
    return sorted(output_dir.glob("*/dist/*.whl"))[0]


# ---------------------------------------------------------------- checking

SAMPLE = (
    "IL-2 gene expression and NF-kappa B activation through CD28 requires reactive "
    "oxygen production by 5-lipoxygenase in human T cells treated with cisplatin."
)
# Runs inside the fresh venv: load by name, print labels, entities (with the
# concept id when the pipeline has the linker: its KB is inside the wheel) and
# the static vectors the wheel carries (a lever's floret table) as JSON.
PROBE = """
import json, sys, spacy
nlp = spacy.load(sys.argv[1])
doc = nlp(sys.argv[2])
print(json.dumps({"name": sys.argv[1], "pipeline": nlp.pipe_names,
                  "labels": list(nlp.get_pipe("ner").labels),
                  "ents": [[e.start_char, e.end_char, e.label_, e.text] + ([e.kb_id_] if "linker" in nlp.pipe_names
                           else []) for e in doc.ents],
                  "vectors": {"mode": nlp.vocab.vectors.mode, "shape": list(nlp.vocab.vectors.shape)}}))
"""
# Make any attempt to reach the network fail at once.
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "",
}


def find_wheel(path: Path) -> Path:
    wheels = [path] if path.suffix == ".whl" else sorted(path.glob("**/*.whl"))
    if len(wheels) != 1:
        raise BionerError(f"{path}: expected one wheel, found {len(wheels)}. Run the package step.")
    return wheels[0]


def check_wheel(wheel: Path, constraints: Path, text: str = SAMPLE) -> Dict[str, Any]:
    """Install `wheel` in a new venv (pinned by `constraints`) and load it
    by name offline from an empty folder; return what it saw."""
    name = wheel.name.split("-")[0]
    with tempfile.TemporaryDirectory(prefix="bioner-check-") as tmp:
        env_dir = Path(tmp) / "venv"
        venv.create(env_dir, with_pip=True)
        python = str(env_dir / "bin" / "python")
        info(f"Installing {wheel.name} into a fresh venv")
        install = subprocess.run(
            [python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "-c", str(constraints), str(wheel.resolve())],
            capture_output=True, text=True,
        )
        if install.returncode != 0:
            raise BionerError(
                f"{wheel}: pip install into a fresh venv failed (is the package index reachable?): "
                f"{install.stderr.strip()[-1500:]}"
            )
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env.update(OFFLINE_ENV)
        result = subprocess.run(
            [python, "-c", PROBE, name, text], cwd=tmp, env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise BionerError(f"{wheel.name}: spacy.load('{name}') failed offline:\n{result.stderr[-2000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])
