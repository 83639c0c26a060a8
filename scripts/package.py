"""Package a trained pipeline as a wheel (bioner.packaging): meta with name,
version, description, labels, data sources and licences, test scores; the
pipeline components' code inside the wheel."""
import sys
from pathlib import Path
from typing import List, Optional

import srsly
import typer

from bioner.console import good, run_cli
from bioner.layout import Layout
from bioner.registry import get_corpus
from bioner.errors import BionerError
from bioner.packaging import build_meta, package_pipeline


def package(
    corpus: str = typer.Argument(..., help="Corpus name (vars.corpora in project.yml)"),
    model: str = typer.Argument(..., help="Model name (configs/<model>.cfg)"),
    root: Path = typer.Option(Path("."), help="Project folder (training/, metrics/, packages/)"),
    version: str = typer.Option("0.1.0", help="Package version"),
    pipeline: Optional[Path] = typer.Option(None, help="The pipeline to package (default: the training's "
                                            "model-best; its model-linked has the concept linker and its KB)"),
) -> None:
    """Build a wheel of training/CORPUS/MODEL/model-best (or --pipeline) into packages/CORPUS/MODEL/."""
    layout = Layout(root)
    model_dir = pipeline or layout.model_best(corpus, model)
    metrics_path = layout.metrics(corpus, model)
    if not (model_dir / "meta.json").exists():
        raise BionerError(f"{model_dir}: no meta.json, not a complete pipeline. Run the train step.")
    if not metrics_path.exists():
        raise BionerError(f"{metrics_path} not found. Run the evaluate step first.")
    meta = build_meta(get_corpus(corpus, layout.project_file), model, model_dir, srsly.read_json(metrics_path), version)
    wheel = package_pipeline(meta, model_dir, layout.packages(corpus, model))
    good(f"Built {wheel}")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(package, argv)


if __name__ == "__main__":
    sys.exit(main())
