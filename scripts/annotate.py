"""Annotate a collection with a trained pipeline: MEDLINE/PubMed XML (.xml,
.xml.gz), BioC XML, JATS full texts (PMC, eLife: .xml, or a .tar.gz of
them), JSONL (`id`, `text`) or folders of .txt files in; one
shard per input file out, as JSONL, PubTator, BioC XML and/or DocBin.

    python -m scripts.annotate pubmed/ --model training/bc5cdr/cnn/model-best --output-dir annotations
    python -m scripts.annotate pubmed/ --model en_bioner_cnn_bc5cdr --output-dir annotations --n-process 2
    python -m scripts.annotate pubmed/ --model en_bioner_cnn_bc5cdr --output-dir annotations --ray --actors 2
    python -m scripts.annotate /shared/pubmed --model en_bioner_scibert --output-dir /shared/out --ray-address auto

Re-running the same command skips the finished shards, so an interrupted run
resumes where it stopped. Bad records are skipped and reported per file at
the end and in <output-dir>/annotate_report.json.
"""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.annotate.readers import find_inputs
from bioner.annotate.run import REPORT_NAME, annotate_collection
from bioner.console import good, run_cli, say, warn


def annotate(
    inputs: List[Path] = typer.Argument(..., help="MEDLINE/BioC/JATS XML, JATS tarballs, JSONL files, or folders (of those, or of .txt files)"),
    model: str = typer.Option(..., "--model", help="Pipeline folder (e.g. training/bc5cdr/cnn/model-best) or installed package"),
    output_dir: Path = typer.Option(..., "--output-dir", help="Folder for the shards and the report"),
    formats: List[str] = typer.Option(["jsonl", "pubtator"], "--format", help="jsonl, pubtator, bioc or docbin; repeat for several"),
    n_process: int = typer.Option(1, "--n-process", help="Local worker processes (spawned for PyTorch pipelines)"),
    batch_size: int = typer.Option(64, "--batch-size", help="Documents per nlp.pipe batch"),
    ray: bool = typer.Option(False, "--ray", help="Run on Ray Data, embedded on this machine unless --ray-address"),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Join this Ray cluster ('auto', ray://host:10001); implies --ray"),
    actors: int = typer.Option(2, "--actors", help="Ray actors, each with the pipeline loaded once"),
    skip_title_only: bool = typer.Option(False, "--skip-title-only",
                                         help="Skip MEDLINE citations without an abstract (default: annotate their title)"),
) -> None:
    """Annotate INPUTS with MODEL into OUTPUT_DIR, one shard per input file."""
    try:
        summary, reports = annotate_collection(inputs, model, output_dir, formats, n_process, batch_size, ray,
                                               ray_address, actors, skip_title_only)
    except KeyboardInterrupt:
        written = sum(1 for _ in output_dir.glob("*.report.json")) if output_dir.exists() else 0
        say("fail", f"interrupted: {written} of {len(find_inputs(inputs))} shards complete in {output_dir}; "
                    f"run the same command again to resume (finished shards are skipped)")
        raise typer.Exit(130)
    run = summary["this_run"]
    for report in reports:
        if report.bad or report.error:
            warn(report.summary())
    title_only = (f"{summary['title_only_skipped']:,} title-only skipped" if skip_title_only
                  else f"{summary['title_only']:,} title-only annotated")
    good(f"{output_dir}: {summary['docs']:,} docs, {summary['entities']:,} entities from {summary['inputs']} inputs "
         f"({title_only}, {summary['bad_records']:,} bad records skipped, "
         f"{summary['files_with_errors']} files with errors); "
         f"this run: {run['docs']:,} docs in {run['seconds']:.1f} s; report: {output_dir / REPORT_NAME}")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(annotate, argv)


if __name__ == "__main__":
    sys.exit(main())
