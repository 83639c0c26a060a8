"""Annotate a collection: find the inputs, run the shards on this machine or
on Ray, and write the run's report (annotate_report.json) beside the shards.
What `python -m scripts.annotate` runs, and what the lab's throughput
benchmark times in a child process."""
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..console import warn
from ..errors import BionerError
from ..io import write_json_atomic
from .local import run_local
from .readers import find_inputs
from .records import FileReport
from .shard import Job
from .writers import FORMATS

REPORT_NAME = "annotate_report.json"


def check_formats(formats: Sequence[str]) -> List[str]:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise BionerError(f"--format {', '.join(unknown) or '(none)'}: choose from {', '.join(FORMATS)}")
    return list(dict.fromkeys(formats))


def annotate_collection(inputs: Sequence[Path], model: str, output_dir: Path, formats: Sequence[str] = ("jsonl", "pubtator"),
                        n_process: int = 1, batch_size: int = 64, ray: bool = False, ray_address: Optional[str] = None,
                        actors: int = 2, skip_title_only: bool = False) -> Tuple[Dict[str, Any], List[FileReport]]:
    """Annotate `inputs` with `model` into `output_dir`, one shard per input
    file (finished shards are skipped); write and return the run's report
    and the per-file reports. A KeyboardInterrupt leaves the finished shards."""
    formats = check_formats(formats)
    for option, value in (("--batch-size", batch_size), ("--n-process", n_process), ("--actors", actors)):
        if value < 1:
            raise BionerError(f"{option} must be 1 or more, not {value}")
    if (ray or ray_address) and n_process > 1:
        warn("--n-process is for local runs; on Ray, --actors sets the parallelism")
    found = find_inputs(list(inputs))
    start = time.perf_counter()
    job = Job(found, model, output_dir, formats, batch_size, skip_title_only)
    if ray or ray_address:
        from .ray_runner import run_ray

        reports, progress = run_ray(job, actors=actors, address=ray_address)
    else:
        reports, progress = run_local(job, n_process=n_process)
    seconds = time.perf_counter() - start
    reports.sort(key=lambda r: r.input)
    summary = {
        "model": model, "provenance": next((r.model for r in reports if r.model), None),
        "formats": formats, "inputs": len(found),
        "docs": sum(r.docs for r in reports), "entities": sum(r.entities for r in reports),
        "bad_records": sum(r.n_bad for r in reports),
        "title_only": sum(r.title_only for r in reports),
        "title_only_skipped": sum(r.title_only_skipped for r in reports),
        "files_with_errors": sum(1 for r in reports if r.error),
        "this_run": {"docs": progress.docs, "words": progress.words, "seconds": round(seconds, 2),
                     "docs_per_s": round(progress.docs / seconds, 1) if seconds else None,
                     "words_per_s": round(progress.words / seconds, 1) if seconds else None},
        "files": [r.to_dict() for r in reports],
    }
    write_json_atomic(output_dir / REPORT_NAME, summary)
    return summary, reports
