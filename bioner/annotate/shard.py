"""One input -> one output shard: read its records, run the pipeline over
them in batches, write every format, then the report. Both runners call
`annotate_input`: the local one in this process, the Ray one inside each
actor (which holds the loaded pipeline). `Job` is what they share: the
inputs, the model, the output folder and formats, and which shards are done."""
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple

import srsly
from spacy.language import Language

from ..console import good, info
from ..io import atomic_paths
from ..provenance import model_provenance
from ..runtime import safe_pipe
from .progress import Progress
from .readers import Input, read_input
from .records import FileReport, annotated
from .writers import finished_report, open_writers, remove_stale, shard_paths

OnDocs = Callable[[int, int, int], None]  # (docs, entities, words) just written


def annotate_input(
    nlp: Language,
    inp: Input,
    out_dir: Path,
    formats: Sequence[str],
    *,
    n_process: int = 1,
    batch_size: int = 64,
    progress: Optional[OnDocs] = None,
    skip_title_only: bool = False,
    model: Optional[Dict[str, Any]] = None,
) -> FileReport:
    """Annotate `inp` into its shard in `out_dir`; return its report. Nothing
    lands in `out_dir` unless the whole input was processed. MEDLINE
    citations with a title only are annotated unless `skip_title_only`.
    `model`: the pipeline's provenance (bioner.provenance), which every
    record and the report carry; computed from the Doc's meta when not given."""
    out_dir = Path(out_dir)
    report = FileReport(input=inp.path, shard=inp.shard)
    paths = shard_paths(out_dir, inp.shard, formats)
    remove_stale(paths.values())
    model = model if model is not None else model_provenance(nlp, None)
    report.model = model
    start = time.perf_counter()
    with atomic_paths(list(paths.values()), out_dir) as tmp:
        writers = open_writers({fmt: tmp[paths[fmt]] for fmt in formats}, formats, model)
        try:
            # nlp.pipe returns the Docs in input order: the records wait here
            # (as many as are in flight, a few batches) for their Doc.
            pending: Deque[Dict[str, Any]] = deque()

            def texts():
                for record in read_input(inp, report, skip_title_only):
                    pending.append(record)
                    yield record["text"]

            with safe_pipe(nlp, n_process) as kwargs:
                for doc in nlp.pipe(texts(), batch_size=batch_size, **kwargs):
                    record = annotated(pending.popleft(), doc, model)
                    for writer in writers:
                        writer.write(record, doc)
                    n_ents = len(record["entities"])
                    report.docs += 1
                    report.entities += n_ents
                    report.words += len(doc)
                    if progress is not None:
                        progress(1, n_ents, len(doc))
        finally:
            for writer in writers:
                writer.close()
        report.seconds = round(time.perf_counter() - start, 3)
        srsly.write_json(tmp[paths["report"]], {**report.to_dict(), "formats": list(formats),
                                               "skip_title_only": skip_title_only})
    return report


@dataclass(frozen=True)
class Job:
    """What to annotate, with what, into where: the part both runners share."""

    inputs: Sequence[Input]
    model: str
    out_dir: Path
    formats: Sequence[str]
    batch_size: int = 64
    skip_title_only: bool = False

    def start(self, label: str) -> Tuple[List[FileReport], List[Input], Progress]:
        """(reports of the inputs whose shard is complete, inputs still to
        do, a progress bar for those)."""
        done, todo = [], []
        for inp in self.inputs:
            report = finished_report(self.out_dir, inp.shard, self.formats, self.skip_title_only)
            if report is None:
                todo.append(inp)
            else:
                done.append(FileReport.from_dict(report))
        if done:
            info(f"{len(done)} of {len(self.inputs)} inputs already annotated in {self.out_dir}: skipped")
        return done, todo, Progress(len(todo), label=label)


def input_finished(report: FileReport, reports: List[FileReport], progress: Progress) -> None:
    """Record a finished input and say so in one line."""
    reports.append(report)
    progress.input_done()
    progress.bar.clear()
    good(report.summary())
