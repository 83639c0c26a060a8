"""The benchmark table (`weasel run benchmark`): for each corpus and trained model, test
P/R/F1 (micro and per type, from the evaluate step), training time, and
inference speed in words/second of `nlp.pipe` over the test texts (one
process for every model, and `n_process=2` for pipelines without PyTorch
layers, timed here back to back); the GPU column is filled when a GPU
is usable. Ratios are to the baseline model (vars.benchmark_baseline in
project.yml: spaCy's default NER, configs/spacy_default.cfg) trained on the
same split; a pipeline with a transformer is also compared with the plain
Hugging Face fine-tune (benchmarks/hf_baseline.py), when it was run.

Writes results/results.json and results.md. A row of the
previous results.json whose model is not on disk now (trained in an earlier
session or on another machine) is kept as it was measured, so the table can
grow one training at a time; `--fresh` drops such rows, `--no-measure`
keeps every row as it was and only rebuilds the tables.

A model trained again with other seeds (training/<corpus>/<model>-seed<N>/,
evaluated into metrics/<corpus>/<model>-seed<N>.json) gets a row of test F1
over its seeds, mean ± sd, when its settings are those of the benchmark's run.
"""
import os
import platform
import re
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import spacy
import srsly
from spacy.tokens import DocBin
from thinc.util import gpu_is_available

from bioner.console import info, warn
from bioner.layout import Layout, TrainingDir
from bioner.models import traits_of
from bioner.io import write_json_atomic, write_text_atomic
from bioner.runtime import load_pipeline

# a transformer's fast tokenizer, used before n_process=2 forks, would warn in every worker
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

HF_BASELINE = "hf_baseline"
# the reference rows a report puts beside its models (results.json's "references")
REFERENCES = {
    "spacy_default": "spaCy default NER (init config -p ner, efficiency, no vectors)",
    HF_BASELINE: "plain Hugging Face fine-tune, MiniLM-L6 stand-in",
}


def words_per_second(model_dir: Path, texts: List[str], n_process: int = 1, gpu: bool = False) -> float:
    """Words/second of nlp.pipe over texts (the first batch warms up untimed)."""
    if gpu:
        spacy.require_gpu()
    nlp = load_pipeline(model_dir)
    list(nlp.pipe(texts[:20]))
    start = time.perf_counter()
    n_words = sum(len(doc) for doc in nlp.pipe(texts, n_process=n_process, batch_size=64))
    return n_words / (time.perf_counter() - start)


def trained_with(stamp: Dict[str, Any]) -> str:
    """The transformer and training budget a model was trained with, where
    they differ from its config."""
    overrides = stamp.get("overrides", {})
    parts = []
    transformer = stamp.get("transformer")
    if transformer:
        parts.append(transformer.get("label") or f"`{transformer['name']}`")
    if "training.max_steps" in overrides:
        parts.append(f"{overrides['training.max_steps']} steps")
    if "training.batcher.size" in overrides:
        parts.append(f"batches of {overrides['training.batcher.size']} words")
    if "training.optimizer.learn_rate.initial_rate" in overrides:
        parts.append(f"lr {overrides['training.optimizer.learn_rate.initial_rate']:g}")
    return ", ".join(parts) or "config as is"


def collect(corpus: str, model: str, layout: Layout, speed: bool) -> Optional[Dict[str, Any]]:
    metrics_path = layout.metrics(corpus, model)
    model_dir = layout.model_best(corpus, model)
    if not metrics_path.exists() or not model_dir.exists():
        return None
    m = srsly.read_json(metrics_path)
    traits = traits_of(model_dir)
    stamp = layout.training_dir(corpus, model).stamp
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
        "has_transformer": traits.has_transformer,
    }
    # One process without --speed: the evaluate step's timing of nlp.pipe over the test texts.
    if m["device"].startswith("cpu"):
        row["cpu_wps_1proc"] = m["speed"]
    if speed:
        docs = DocBin().from_disk(layout.docbin(corpus, "test")).get_docs(spacy.blank("en").vocab)
        texts = [doc.text for doc in docs]
        # timed here, back to back, so the figures of all models are comparable
        row["cpu_wps_1proc"] = words_per_second(model_dir, texts, 1)
        info(f"{corpus}/{model}: {row['cpu_wps_1proc']:,.0f} words/s")
        # n_process=2 forks workers, which deadlock once PyTorch's thread pool
        # has run (seen with the BiLSTM); torch pipelines use every core anyway
        if not traits.needs_torch:
            row["cpu_wps_2proc"] = words_per_second(model_dir, texts, 2)
            info(f"{corpus}/{model}: {row['cpu_wps_2proc']:,.0f} words/s with 2 processes")
        if gpu_is_available():
            row["gpu_wps"] = words_per_second(model_dir, texts, 1, gpu=True)
    return row


def hf_baseline_row(layout: Layout, corpus: str) -> Optional[Dict[str, Any]]:
    """The plain Hugging Face fine-tune (benchmarks/hf_baseline.py), if run."""
    path = layout.hf_baseline(corpus)
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


def previous_seed_rows(path: Path) -> List[Dict[str, Any]]:
    return srsly.read_json(path).get("seed_rows", []) if path.exists() else []


def seed_rows(layout: Layout, corpora: List[str], models: List[str]) -> List[Dict[str, Any]]:
    """Test F1 over seeds of each benchmark model that has seed runs: its own
    run (metrics/<corpus>/<model>.json) and every <model>-seed<N>.json whose
    training had the same settings (trained_with), else that run is skipped."""
    from .levers import mean_sd  # as the levers' rows over seeds

    rows = []
    for corpus in corpora:
        for model in models:
            base = layout.metrics(corpus, model)
            pattern = re.compile(re.escape(model) + r"-seed(\d+)\.json")
            seeds = sorted((int(m.group(1)), p) for p in base.parent.glob(f"{model}-seed*.json")
                           if (m := pattern.fullmatch(p.name)))
            if not base.exists() or not seeds:
                continue
            settings = trained_with_of(layout.training_dir(corpus, model))
            runs = [base] + [p for n, p in seeds
                             if trained_with_of(layout.training_dir(corpus, f"{model}-seed{n}")) == settings]
            scores = [100 * srsly.read_json(p)["ents_f"] for p in runs]
            if len(scores) > 1:
                rows.append({"corpus": corpus, "model": model, "trained_with": settings, "seeds": len(scores),
                             "test_f": mean_sd(scores),
                             "runs": ", ".join(f"{s:.2f}" for s in scores)})
    return rows


def trained_with_of(training_dir: TrainingDir) -> Optional[str]:
    return trained_with(srsly.read_json(training_dir.stamp)) if training_dir.stamp.exists() else None


def seeds_table(rows: List[Dict[str, Any]]) -> str:
    if not rows:
        return ""
    lines = ["", "Benchmark models over seeds (the run above, and `python -m scripts.train <config> "
             "training/<corpus>/<model>-seed<N> ... --seed <N>` with its settings, then `python -m scripts.evaluate`; "
             "commands in benchmarks/README.md):", "",
             "| corpus | model | trained with | seeds | test F1 mean ± sd | each run |", "|---|---|---|---:|---:|---|"]
    lines += [f"| {r['corpus']} | {r['model']} | {r['trained_with']} | {r['seeds']} | **{r['test_f']}** | {r['runs']} |"
              for r in rows]
    return "\n".join(lines) + "\n"


def add_ratios(rows: List[Dict[str, Any]], baseline: str) -> None:
    """F1 and speed of each model relative to the baseline model; a
    transformer pipeline's also relative to the plain HF fine-tune."""
    hf = {r["corpus"]: r for r in rows if r["model"] == HF_BASELINE}
    for row in rows:
        base = hf.get(row["corpus"])
        if row.get("has_transformer") and row["model"] != HF_BASELINE and base:
            row["hf_f1_ratio"] = row["ents_f"] / base["ents_f"] if base["ents_f"] else None
            if row.get("cpu_wps_1proc") and base.get("cpu_wps_1proc"):
                row["hf_speed_ratio"] = row["cpu_wps_1proc"] / base["cpu_wps_1proc"]
    baselines = {r["corpus"]: r for r in rows if r["model"] == baseline}
    for row in rows:
        base = baselines.get(row["corpus"])
        if base is None:
            continue
        row["f1_ratio"] = row["ents_f"] / base["ents_f"] if base["ents_f"] else None
        if row.get("cpu_wps_1proc") and base.get("cpu_wps_1proc"):
            row["speed_ratio"] = row["cpu_wps_1proc"] / base["cpu_wps_1proc"]


def fmt(value: Optional[float], pattern: str) -> str:
    return "n/a" if value is None else format(value, pattern)


def markdown(rows: List[Dict[str, Any]], machine: str, baseline: str) -> str:
    lines = [
        f"Measured on {machine}. F1: test split, entity-level exact match, micro. Speed: words/s of "
        f"`nlp.pipe` over the test texts. Ratios: to `{baseline}` (spaCy's `init config --pipeline ner`, "
        f"CPU efficiency) on the same corpus.",
        "",
        "| corpus | model | trained with | P | R | F1 | F1 / default | per-type F1 | train time | words/s 1 proc | words/s 2 proc | speed / default | GPU words/s |",
        "|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    notes: List[str] = []
    for r in rows:
        if "hf_f1_ratio" in r:
            notes.append(
                f"- {r['corpus']}: `{r['model']}` vs the plain Hugging Face fine-tune of the same "
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


def run_benchmark(layout: Layout, corpora: List[str], models: List[str], baseline: str, speed: bool = True,
                  fresh: bool = False, measure: bool = True) -> List[Dict[str, Any]]:
    """Collect accuracy, training time and speed of every trained model and
    write the results table (Layout.results_table: results.json and results.md)."""
    previous = {} if fresh else previous_rows(layout.results_table(".json"))
    rows = []
    for corpus in corpora:
        for model in models:
            row = collect(corpus, model, layout, speed) if measure else None
            if row is None and (corpus, model) in previous:
                info(f"{corpus}/{model}: {'not on disk' if measure else 'not measured'}, keeping the row of the "
                     f"previous results.json")
                row = previous[corpus, model]
            if row is None:
                warn(f"{corpus}/{model}: not trained and evaluated yet, left out")
            else:
                rows.append(row)
        hf_row = hf_baseline_row(layout, corpus)
        if hf_row:
            rows.append(hf_row)
    add_ratios(rows, baseline)
    machine = f"{platform.machine()} CPU, {os.cpu_count()} cores"
    seeds = seed_rows(layout, corpora, models)
    measured = {(r["corpus"], r["model"]) for r in seeds}
    # a row over seeds whose runs are not on disk here is kept as it was measured, like the rows above
    seeds += [r for r in ([] if fresh else previous_seed_rows(layout.results_table(".json")))
              if (r["corpus"], r["model"]) not in measured and r["corpus"] in corpora and r["model"] in models]
    write_json_atomic(layout.results_table(".json"), {"machine": machine, "rows": rows, "seed_rows": seeds,
                                                     "references": REFERENCES})
    from .levers import seeds_markdown  # the 3-seed rows of the final configs

    write_text_atomic(layout.results_table(".md"), markdown(rows, machine, baseline) + seeds_table(seeds)
                      + seeds_markdown(layout.lever_results, layout.configs))
    return rows
