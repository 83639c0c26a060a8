"""Train in chunks that each save a model, for trainings longer than a
session (the transformer on CPU takes hours): a stop loses one chunk at most.

Chunk k trains `chunk_steps` steps into <output>.chunks/chunk-<k>/ with
bioner.training.train_pipeline (atomic, fingerprinted: a re-run skips every
chunk that is done). Its config is the run's config with every setting
baked in and:
- from chunk 1 on, every component sourced from chunk k-1's model-last
  (spaCy resumes sourced components), and no init_tok2vec;
- the learning-rate schedule of the whole run from the chunk's first update
  on (warmup_linear over all the chunks' updates; a constant rate stays);
- no patience inside a chunk: the config's patience applies across chunks.
spaCy's steps 0..N are N + 1 updates, so chunk k's step s is update
k * (chunk_steps + 1) + s of the run: the budget is rounded up to whole
chunks. The optimizer's moments start afresh in each chunk (spaCy saves no
optimizer state). When the total is reached or dev stopped improving for `patience`
steps, <output> gets the best chunk's model-best, the last chunk's
model-last, one JSONL log with the steps of the whole run, and a fingerprint
of all the chunks, like a single training's output.
"""
import hashlib
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional

import srsly
from spacy.util import load_config

from .console import good, info
from .errors import BionerError
from .io import atomic_path, write_text_atomic
from .layout import TrainingDir
from .models import traits_of_config
from .runtime import resolve_gpu
from .training import (TrainRequest, build_overrides, check_replaceable, dev_curve, is_up_to_date,
                       train_pipeline, transformer_record)


def chunk_learn_rate(learn_rate: Any, offset: int, total: int) -> Any:
    """The run's schedule from step `offset` on: warmup_linear(r, w, T) at
    step offset + t is warmup_linear(r * (T - offset) / (T - w), 0, T - offset)
    at step t, once offset >= w."""
    if isinstance(learn_rate, (int, float)):
        return learn_rate
    if not isinstance(learn_rate, dict) or learn_rate.get("@schedules") != "warmup_linear.v1":
        raise BionerError(f"chunked training supports a constant learn_rate or warmup_linear.v1, "
                          f"not {learn_rate!r}")
    rate, warmup = float(learn_rate["initial_rate"]), int(learn_rate["warmup_steps"])
    if offset == 0:
        return {**learn_rate, "total_steps": total}
    if offset < warmup:
        raise BionerError(f"a chunk starts at update {offset}, inside the {warmup}-step warm-up; use longer chunks")
    return {"@schedules": "warmup_linear.v1", "initial_rate": rate * (total - offset) / max(1, total - warmup),
            "warmup_steps": 0, "total_steps": total - offset}


def write_chunk_config(config_path: Path, settings: Dict[str, Any], chunk_steps: int, first: int, total: int,
                       source: Optional[Path], source_stamp: str, gpu_id: int, path: Path) -> None:
    """The config of the chunk whose first update is update `first` of
    `total`: every setting baked in (see the module's docstring)."""
    config = load_config(config_path, overrides=settings, interpolate=False)
    training = config["training"]
    training["max_steps"] = chunk_steps
    training["patience"] = 0
    training["optimizer"]["learn_rate"] = chunk_learn_rate(training["optimizer"]["learn_rate"], first, total)
    traits = traits_of_config(load_config(config_path, overrides=settings, interpolate=True), where=str(config_path))
    if traits.has_transformer and gpu_id < 0:  # fp16 autocast and grad scaling need CUDA
        model = config["components"][traits.transformer_component]["model"]
        model["mixed_precision"] = False
        model.setdefault("grad_scaler_config", {})["enabled"] = False
    if source is not None:
        for name in config["nlp"]["pipeline"]:
            config["components"][name] = {"source": str(source)}
        config["paths"]["init_tok2vec"] = None
    header = f"# updates {first}-{first + chunk_steps} of {total} of a chunked training of {config_path}"
    if source is not None:
        header += f", continuing {source} (fingerprint {source_stamp})"
    write_text_atomic(path, header + "\n" + config.to_str())


def run_log(chunks: List[TrainingDir], chunk_steps: int) -> List[Dict[str, Any]]:
    """The chunks' JSONL rows with the steps (updates) of the whole run."""
    rows = []
    for index, chunk in enumerate(chunks):
        for row in srsly.read_jsonl(chunk.log):
            if "step" in row:
                row["step"] += index * (chunk_steps + 1)
            rows.append(row)
    return rows


def train_in_chunks(request: TrainRequest) -> None:
    """Train like bioner.training.train_pipeline, in chunks of `request.chunk_steps` steps."""
    config_path, chunk_steps, output = request.config, request.chunk_steps, TrainingDir(request.output)
    settings = build_overrides(request, output.log)
    for key in ("paths.train", "paths.dev", "paths.log"):
        settings.pop(key)  # train_pipeline sets them for each chunk
    full = load_config(config_path, overrides=settings, interpolate=True)["training"]
    total, patience, frequency = int(full["max_steps"]), int(full["patience"]), int(full["eval_frequency"])
    if total <= 0:
        raise BionerError(f"{config_path}: chunked training needs a step budget (training.max_steps or --max-steps)")
    if chunk_steps % frequency:
        raise BionerError(f"--chunk-steps {chunk_steps} is not a multiple of eval_frequency {frequency}: "
                          f"a chunk's last steps would never be evaluated")
    gpu_id = resolve_gpu(request.gpu, "Training")
    n_chunks = -(-total // chunk_steps)
    updates = n_chunks * (chunk_steps + 1)  # of the whole run: the schedule's total
    chunks: List[TrainingDir] = []
    stamp = ""
    for index in range(n_chunks):
        out = output.chunk(index)
        config = output.chunk_config(index)
        source = chunks[-1].model_last if chunks else None
        first = index * (chunk_steps + 1)
        write_chunk_config(config_path, settings, chunk_steps, first, updates, source, stamp, gpu_id, config)
        info(f"Chunk {index + 1} of {n_chunks}: steps {first}-{first + chunk_steps} into {out.path}")
        train_pipeline(TrainRequest(config, out.path, request.corpus_dir, str(gpu_id)))
        chunks.append(out)
        stamp = srsly.read_json(out.stamp)["fingerprint"]
        rows = [r for r in run_log(chunks, chunk_steps) if "score" in r]
        best = max(rows, key=lambda r: r["score"])
        if patience and rows[-1]["step"] - best["step"] >= patience:
            info(f"No dev improvement for {rows[-1]['step'] - best['step']} steps (patience {patience}): stopping")
            break
    record = {"config": str(config_path), "overrides": settings, **transformer_record(request)}
    assemble(output, chunks, chunk_steps, record)


def assemble(output: TrainingDir, chunks: List[TrainingDir], chunk_steps: int, record: Dict[str, Any]) -> None:
    """<output>: the best chunk's model-best, the last model-last, one log,
    and a fingerprint with the run's `record` (config, settings, transformer)."""
    stamps = [srsly.read_json(c.stamp) for c in chunks]
    stamp = hashlib.sha256("".join(s["fingerprint"] for s in stamps).encode()).hexdigest()
    if is_up_to_date(output, stamp):
        good(f"{output.path}: already assembled from these chunks, skipping")
        return
    check_replaceable(output)
    best = max(chunks, key=lambda c: dev_curve(c.log)["dev_f"])
    with atomic_path(output.path) as tmp:  # the old output is replaced only by a complete new one
        partial = TrainingDir(tmp)
        tmp.mkdir()
        shutil.copytree(best.model_best, partial.model_best)
        shutil.copytree(chunks[-1].model_last, partial.model_last)
        if best.tok2vec.exists():
            shutil.copy(best.tok2vec, partial.tok2vec)
        srsly.write_jsonl(partial.log, run_log(chunks, chunk_steps))
        srsly.write_json(partial.stamp, {
            "fingerprint": stamp, **record, "gpu": stamps[-1]["gpu"],
            "train_seconds": round(sum(s["train_seconds"] for s in stamps), 1),
            "chunks": [{"dir": str(c.path), "fingerprint": s["fingerprint"], "train_seconds": s["train_seconds"]}
                       for c, s in zip(chunks, stamps)],
            "chunk_steps": chunk_steps, "best_chunk": str(best.path)})
    good(f"Saved {output.model_best} (chunk {best.path.name}, {len(chunks)} chunks)")
