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
import time
from pathlib import Path
from typing import List, Optional

import typer

from bioner.annotate.local import run_local
from bioner.annotate.readers import find_inputs
from bioner.annotate.shard import Job
from bioner.annotate.writers import FORMATS
from bioner.console import good, run_cli, say, warn
from bioner.errors import BionerError
from bioner.io import write_json_atomic

REPORT_NAME = "annotate_report.json"


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
) -> None:
    """Annotate INPUTS with MODEL into OUTPUT_DIR, one shard per input file."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise BionerError(f"--format {', '.join(unknown) or '(none)'}: choose from {', '.join(FORMATS)}")
    formats = list(dict.fromkeys(formats))
    for option, value in (("--batch-size", batch_size), ("--n-process", n_process), ("--actors", actors)):
        if value < 1:
            raise BionerError(f"{option} must be 1 or more, not {value}")
    if (ray or ray_address) and n_process > 1:
        warn("--n-process is for local runs; on Ray, --actors sets the parallelism")
    found = find_inputs(inputs)
    start = time.perf_counter()
    try:
        job = Job(found, model, output_dir, formats, batch_size)
        if ray or ray_address:
            from bioner.annotate.ray_runner import run_ray

            reports, progress = run_ray(job, actors=actors, address=ray_address)
        else:
            reports, progress = run_local(job, n_process=n_process)
    except KeyboardInterrupt:
        written = sum(1 for _ in output_dir.glob("*.report.json")) if output_dir.exists() else 0
        say("fail", f"interrupted: {written} of {len(found)} shards complete in {output_dir}; "
                    f"run the same command again to resume (finished shards are skipped)")
        raise typer.Exit(130)
    seconds = time.perf_counter() - start
    reports.sort(key=lambda r: r.input)
    summary = {
        "model": model, "formats": formats, "inputs": len(found),
        "docs": sum(r.docs for r in reports), "entities": sum(r.entities for r in reports),
        "bad_records": sum(r.n_bad for r in reports),
        "files_with_errors": sum(1 for r in reports if r.error),
        "this_run": {"docs": progress.docs, "words": progress.words, "seconds": round(seconds, 2),
                     "docs_per_s": round(progress.docs / seconds, 1) if seconds else None,
                     "words_per_s": round(progress.words / seconds, 1) if seconds else None},
        "files": [r.to_dict() for r in reports],
    }
    write_json_atomic(output_dir / REPORT_NAME, summary)
    for report in reports:
        if report.bad or report.error:
            warn(report.summary())
    good(f"{output_dir}: {summary['docs']:,} docs, {summary['entities']:,} entities from {len(found)} inputs "
         f"({summary['bad_records']:,} bad records skipped, {summary['files_with_errors']} files with errors); "
         f"this run: {progress.docs:,} docs in {seconds:.1f} s; report: {output_dir / REPORT_NAME}")


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(annotate, argv)


if __name__ == "__main__":
    sys.exit(main())
