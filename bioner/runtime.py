"""Running pipelines: device choice, loading, and how many processes
`nlp.pipe` may use safely."""
import contextlib
import multiprocessing as mp
import os
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Union

import numpy
import spacy
from spacy.language import Language
from spacy.tokens import Doc
from thinc.util import gpu_is_available

from . import components  # noqa: F401  (a folder from training/ needs the factories)
from .console import info
from .errors import BionerError
from .models import traits_of_config


def parse_gpu(gpu: Union[str, int]) -> Optional[int]:
    """The --gpu setting: None for 'auto', else the id (-1: the CPU)."""
    if str(gpu) == "auto":
        return None
    try:
        return int(gpu)
    except ValueError:
        raise BionerError(f"--gpu must be 'auto' or a GPU id (-1 for CPU), not {gpu!r}") from None


def check_gpu(gpu: Union[str, int]) -> int:
    """The GPU id to use for the --gpu setting ('auto' -> 0 if spaCy can use
    a GPU, else -1); an id that cannot be used is an error."""
    gpu_id = parse_gpu(gpu)
    if gpu_id is None:
        return 0 if gpu_is_available() else -1
    if gpu_id >= 0 and not gpu_is_available():
        raise BionerError(
            f"--gpu {gpu_id} asked for, but no GPU is usable (is cupy installed? "
            f"see requirements-gpu.txt). Use --gpu auto or -1 to run on the CPU."
        )
    if gpu_id >= 0:
        import cupy

        if gpu_id >= cupy.cuda.runtime.getDeviceCount():
            raise BionerError(f"--gpu {gpu_id}: there is no such GPU (this machine has "
                              f"{cupy.cuda.runtime.getDeviceCount()}). Use --gpu auto.")
    return gpu_id


def resolve_gpu(gpu: Union[str, int], purpose: str = "Running") -> int:
    """check_gpu, and say which device `purpose` ("Training", "Evaluating"
    ...) runs on."""
    gpu = str(gpu)
    gpu_id = check_gpu(gpu)
    if gpu_id >= 0:
        info(f"{purpose} on GPU {gpu_id}")
    else:
        info(f"{purpose} on CPU (no usable GPU found)" if gpu == "auto" else f"{purpose} on CPU")
    return gpu_id


def use_device(gpu_id: int) -> None:
    if gpu_id >= 0:
        spacy.require_gpu(gpu_id)


def load_pipeline(name_or_path: Union[str, Path]) -> Language:
    """spacy.load of an installed package name or a pipeline folder (e.g.
    training/<corpus>/<model>/model-best), with bioner's factories registered."""
    try:
        return spacy.load(name_or_path)
    except OSError as err:
        raise BionerError(
            f"{name_or_path}: cannot load the pipeline ({err}). Give an installed package "
            f"name (pip install the wheel from packages/) or a pipeline folder."
        ) from None


def start_method(nlp: Language) -> Optional[str]:
    """The multiprocessing start method `nlp.pipe(n_process>1)` must use:
    "spawn" for pipelines with PyTorch layers (a child forked after PyTorch
    started its thread pool deadlocks), None (the platform's default, fork
    on Linux, cheapest) for the others."""
    return "spawn" if traits_of_config(nlp.config, where="the pipeline's config").needs_torch else None


SLIM_DOCS = "bioner_slim_docs"


def slim_docs(doc: Doc) -> Doc:
    """Drop what only the pipeline itself needed: the tok2vec tensor (96
    floats a token for the CNN) and a transformer's output. A worker of
    `nlp.pipe(n_process>1)` sends every Doc back as bytes, and these are most
    of them; entities, tokens and sentences are kept."""
    doc.tensor = numpy.zeros((0,), dtype="float32")
    for key in [k for k in doc.user_data if isinstance(k, tuple) and k[:2] == ("._.", "trf_data")]:
        del doc.user_data[key]
    return doc


if not Language.has_factory(SLIM_DOCS):  # a second import (e.g. from a wheel) must not register it again
    Language.component(SLIM_DOCS, func=slim_docs)


@contextlib.contextmanager
def safe_pipe(nlp: Language, n_process: int = 1) -> Iterator[Dict[str, Any]]:
    """Yield the keyword arguments for `nlp.pipe` that are safe for this
    pipeline with `n_process` processes, and for as long as the block runs
    set what they need: a last component that slims the Docs the workers
    send back (`slim_docs`), the start method (spaCy's pipe uses the global
    multiprocessing context) and, for spawned children, one share of the
    cores each (OMP_NUM_THREADS, read by PyTorch when it starts).

        with safe_pipe(nlp, 2) as kwargs:
            for doc in nlp.pipe(texts, batch_size=64, **kwargs): ...
    """
    if n_process < 1:
        raise BionerError(f"--n-process must be 1 or more, not {n_process}")
    if n_process == 1:
        yield {"n_process": 1}
        return
    method = start_method(nlp)
    slimmed = SLIM_DOCS not in nlp.pipe_names
    if slimmed:  # removed again below: the caller's pipeline is left as it was
        nlp.add_pipe(SLIM_DOCS, last=True)
    previous_method = mp.get_start_method(allow_none=True)
    previous_threads = os.environ.get("OMP_NUM_THREADS")
    if method is not None:
        mp.set_start_method(method, force=True)
        os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // n_process))
    try:
        yield {"n_process": n_process}
    finally:
        if slimmed:
            nlp.remove_pipe(SLIM_DOCS)
        if method is not None:
            mp.set_start_method(previous_method, force=True)
            if previous_threads is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = previous_threads
