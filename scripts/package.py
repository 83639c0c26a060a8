"""Package a trained pipeline as a wheel with `spacy package`, after filling
in its meta: name, version, description, labels, data sources with their
licences, and the test scores from the evaluate step.

    packages/<corpus>/<model>/en_bioner_<model><suffix>-<version>/dist/*.whl

The package name carries the corpus's `package_suffix` (project.yml), so
pipelines for different corpora never overwrite each other.
"""
import sys
from pathlib import Path

import srsly
import typer
from spacy.cli.package import package as spacy_package
from wasabi import msg

from bioner.components import abbreviations
from .common import BionerError, atomic_path, corpus_facts, has_pytorch_encoder, run_cli

TORCH_REQUIREMENT = "torch>=2.0"
PERFORMANCE_KEYS = ("ents_f", "ents_p", "ents_r", "ents_per_type", "speed")


def package_name(corpus: str, model: str) -> str:
    """Package name without the language prefix spaCy adds (en_...)."""
    return f"bioner_{model}{corpus_facts(corpus).get('package_suffix', '')}"


def build_meta(corpus: str, model: str, model_dir: Path, metrics: dict, version: str) -> dict:
    facts = corpus_facts(corpus)
    meta = srsly.read_json(model_dir / "meta.json")
    meta.update(
        {
            "name": package_name(corpus, model),
            "version": version,
            "description": (
                f"Biomedical named entity recognition ({model} pipeline) trained on "
                f"{facts['title']}. Entity types: {', '.join(meta['labels']['ner'])}. "
                f"Test F1 {metrics['ents_f'] * 100:.2f}."
            ),
            "author": "bioner",
            "license": "MIT (code); see sources for the training data's terms",
            "sources": [
                {"name": facts["title"], "url": facts["source_url"], "license": facts["license"]},
                {
                    "name": "MTL-Bioinformatics-2016 (Crichton et al., 2017)",
                    "url": "https://github.com/cambridgeltl/MTL-Bioinformatics-2016",
                    "license": "CC BY 4.0 (non-code material)",
                },
            ],
            "performance": {k: metrics[k] for k in PERFORMANCE_KEYS if k in metrics},
        }
    )
    # spacy package adds spacy-transformers for transformer pipelines by itself,
    # but not torch for a PyTorch layer inside spaCy's own tok2vec (the BiLSTM)
    if has_pytorch_encoder(model_dir):
        meta["requirements"] = sorted(set(meta.get("requirements", [])) | {TORCH_REQUIREMENT})
    return meta


def package(
    corpus: str = typer.Argument(..., help="Corpus name (vars.corpora in project.yml)"),
    model: str = typer.Argument(..., help="Model name (configs/<model>.cfg)"),
    model_dir: Path = typer.Argument(..., exists=True, help="Trained pipeline (model-best)"),
    metrics_path: Path = typer.Argument(..., exists=True, help="Metrics JSON from evaluate"),
    output_dir: Path = typer.Argument(Path("packages"), help="Packages go to <output_dir>/<corpus>/<model>/"),
    version: str = typer.Option("0.1.0", help="Package version"),
) -> None:
    """Build a wheel of MODEL_DIR with meta and scores filled in."""
    if not (model_dir / "meta.json").exists():
        raise BionerError(f"{model_dir}: no meta.json, not a complete pipeline. Train again.")
    meta = build_meta(corpus, model, model_dir, srsly.read_json(metrics_path), version)
    with atomic_path(output_dir / corpus / model) as tmp:
        tmp.mkdir(parents=True)
        srsly.write_json(tmp / "meta.json", meta)
        spacy_package(
            model_dir,
            tmp,
            meta_path=tmp / "meta.json",
            # the abbreviations component's code travels inside the wheel
            code_paths=[Path(abbreviations.__file__)],
            create_sdist=False,
            create_wheel=True,
            require_parent=True,  # spacy itself in install_requires
            force=True,
            silent=True,
        )
        (tmp / "meta.json").unlink()
    wheels = sorted((output_dir / corpus / model).glob("*/dist/*.whl"))
    if not wheels:
        raise BionerError(f"spacy package built no wheel in {output_dir / corpus / model}")
    msg.good(f"Built {wheels[0]}")


if __name__ == "__main__":
    sys.exit(run_cli(package))
