"""Annotate on this machine: one process by default, or `n_process` worker
processes through spaCy's `nlp.pipe`, started the safe way for the pipeline
(`bioner.runtime.safe_pipe`: spawn for PyTorch pipelines). Inputs are done
one after another, each into its shard; finished shards are skipped."""
from typing import List, Tuple

from ..console import info
from ..provenance import model_provenance
from ..runtime import load_pipeline
from .progress import Progress
from .records import FileReport
from .shard import Job, annotate_input, input_finished


def run_local(job: Job, n_process: int = 1) -> Tuple[List[FileReport], Progress]:
    """Annotate every unfinished input; return all reports (skipped ones
    included) and the progress totals of this run."""
    reports, todo, progress = job.start("annotate")
    try:
        if todo:
            nlp = load_pipeline(job.model)
            model = model_provenance(nlp, job.model)
            info(f"Annotating {len(todo)} inputs with {job.model} "
                 f"({n_process} process{'es' if n_process > 1 else ''})")
        for inp in todo:
            report = annotate_input(nlp, inp, job.out_dir, job.formats, n_process=n_process,
                                    batch_size=job.batch_size, progress=progress,
                                    skip_title_only=job.skip_title_only, model=model)
            input_finished(report, reports, progress)
    finally:
        progress.close()
    return reports, progress
