"""Annotate on Ray Data: embedded (Ray started on this machine) or on a
cluster (`address`, e.g. "auto" on a cluster node or "ray://head:10001").

The unfinished inputs become a Ray dataset, one row per input file;
`map_batches` sends each row to an actor of a fixed pool (`actors`), and
each actor loads the pipeline once, then streams its file through
`annotate_input` into the file's shard and returns the report. So the unit of
retry is a file: a killed actor's file is redone by Ray from the start, and
the shard only lands when complete. An actor asks for a GPU when the
pipeline has a transformer and the cluster has GPUs.

On a cluster, the inputs, the output folder and the pipeline (a folder or
an installed package) must be reachable under the same path on every node
(a shared file system); `bioner` itself is shipped with the job
(`runtime_env` py_modules). `ray` is imported only here, when it is used.
"""
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ..console import info
from ..errors import BionerError
from .progress import Progress
from .readers import Input
from .records import FileReport
from .shard import Job, input_finished

BIONER_DIR = Path(__file__).resolve().parent.parent


class ShardAnnotator:
    """Ray actor: holds the loaded pipeline; each call annotates the input
    files of its batch (one, with batch_size=1) into their shards."""

    def __init__(self, model: str, out_dir: str, formats: Sequence[str], batch_size: int, use_gpu: bool,
                 skip_title_only: bool = False):
        import spacy

        from ..provenance import model_provenance
        from ..runtime import load_pipeline

        if use_gpu:
            spacy.require_gpu(0)  # Ray sets CUDA_VISIBLE_DEVICES to the actor's GPU
        self.nlp = load_pipeline(model)
        self.model = model_provenance(self.nlp, model)
        self.out_dir = Path(out_dir)
        self.formats = list(formats)
        self.batch_size = batch_size
        self.skip_title_only = skip_title_only

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        from .shard import annotate_input

        reports = []
        for kind, path, shard in zip(batch["kind"], batch["path"], batch["shard"]):
            report = annotate_input(self.nlp, Input(str(kind), str(path), str(shard)), self.out_dir,
                                    self.formats, batch_size=self.batch_size,
                                    skip_title_only=self.skip_title_only, model=self.model)
            reports.append(json.dumps(report.to_dict()))
        return {"report": reports}


def wants_gpu(model: Union[str, Path], gpus_in_cluster: float) -> bool:
    """GPU actors when the pipeline has a transformer and the cluster has GPUs."""
    if gpus_in_cluster < 1:
        return False
    from ..models import traits_of, traits_of_config
    from ..runtime import load_pipeline

    if Path(model).is_dir():  # read the config only
        return traits_of(model).has_transformer
    return traits_of_config(load_pipeline(model).config, where=str(model)).has_transformer


def start_ray(address: Optional[str]) -> Any:
    import ray

    runtime_env = {"py_modules": [str(BIONER_DIR)]}
    try:
        if address:
            ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
        else:
            ray.init(include_dashboard=False, runtime_env=runtime_env, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as err:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise BionerError(f"cannot start or join {where}: {' '.join(str(err).split())[:300]}") from None
    return ray


def model_location(model: Union[str, Path]) -> str:
    """A pipeline folder as an absolute path (actors may run elsewhere), a
    package name as is. Checked here, so that a wrong name fails once, on the
    driver, and not in every actor Ray would restart."""
    import spacy.util

    path = Path(model)
    if path.is_dir() and (path / "config.cfg").is_file():
        return str(path.resolve())
    if not path.exists() and spacy.util.is_package(str(model)):
        return str(model)
    raise BionerError(f"{model}: cannot load the pipeline (not a pipeline folder with a config.cfg, nor an "
                      f"installed package). Give an installed package name or a pipeline folder.")


def run_ray(job: Job, actors: int = 2, address: Optional[str] = None) -> Tuple[List[FileReport], Progress]:
    """Annotate every unfinished input on Ray; return all reports (skipped
    ones included) and the progress totals of this run."""
    reports, todo, progress = job.start("annotate (ray)")
    if not todo:
        progress.close()
        return reports, progress
    model = model_location(job.model)
    ray = start_ray(address)
    try:
        import ray.data

        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.execution_options.preserve_order = False
        use_gpu = wants_gpu(job.model, ray.cluster_resources().get("GPU", 0))
        n_actors = min(actors, len(todo))
        info(f"Ray: {ray.cluster_resources().get('CPU', 0):.0f} CPUs, "
             f"{ray.cluster_resources().get('GPU', 0):.0f} GPUs; {n_actors} actors"
             f"{' on GPUs' if use_gpu else ''} for {len(todo)} inputs")
        rows = [{"kind": i.kind, "path": str(Path(i.path).resolve()), "shard": i.shard} for i in todo]
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            ShardAnnotator,
            fn_constructor_kwargs={"model": model, "out_dir": str(Path(job.out_dir).resolve()),
                                   "formats": list(job.formats), "batch_size": job.batch_size, "use_gpu": use_gpu,
                                   "skip_title_only": job.skip_title_only},
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=n_actors),
            num_cpus=1,
            num_gpus=1 if use_gpu else 0,
        )
        try:
            for row in dataset.iter_rows():
                report = FileReport.from_dict(json.loads(row["report"]))
                progress(report.docs, report.entities, report.words)
                input_finished(report, reports, progress)
        except ray.exceptions.RayError as err:
            cause = getattr(err, "cause", None) or err
            raise BionerError(f"the Ray run failed: {type(cause).__name__}: "
                              f"{' '.join(str(cause).split())[:300]}; finished shards are kept, re-run to resume") from None
    finally:
        progress.close()
        ray.shutdown()
    return reports, progress
