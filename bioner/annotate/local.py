"""Annotate on this machine: one process by default, or `n_process` worker
processes through spaCy's `nlp.pipe`, started the safe way for the pipeline
(`bioner.runtime.safe_pipe`: spawn for PyTorch pipelines). Inputs are done
one after another, each into its shard; finished shards are skipped."""
from pathlib import Path
from typing import List, Sequence, Tuple, Union

from ..console import good, info
from ..runtime import load_pipeline
from .progress import Progress
from .readers import Input
from .records import FileReport
from .shard import annotate_input
from .writers import finished_report


def split_finished(inputs: Sequence[Input], out_dir: Path, formats: Sequence[str]) -> Tuple[List[FileReport], List[Input]]:
    """(reports of the inputs whose shard is complete, inputs still to do)."""
    done, todo = [], []
    for inp in inputs:
        report = finished_report(out_dir, inp.shard, formats)
        if report is None:
            todo.append(inp)
        else:
            done.append(FileReport.from_dict(report))
    if done:
        info(f"{len(done)} of {len(inputs)} inputs already annotated in {out_dir}: skipped")
    return done, todo


def run_local(
    inputs: Sequence[Input],
    model: Union[str, Path],
    out_dir: Path,
    formats: Sequence[str],
    n_process: int = 1,
    batch_size: int = 64,
) -> Tuple[List[FileReport], Progress]:
    """Annotate every unfinished input; return all reports (skipped ones
    included) and the progress totals of this run."""
    done, todo = split_finished(inputs, out_dir, formats)
    progress = Progress(len(todo))
    if not todo:
        progress.close()
        return done, progress
    nlp = load_pipeline(model)
    info(f"Annotating {len(todo)} inputs with {model} ({n_process} process{'es' if n_process > 1 else ''})")
    try:
        for inp in todo:
            report = annotate_input(nlp, inp, out_dir, formats, n_process=n_process,
                                    batch_size=batch_size, progress=progress)
            progress.input_done()
            done.append(report)
            progress.bar.clear()
            good(report.summary())
    finally:
        progress.close()
    return done, progress
