"""Evaluate a trained pipeline on a DocBin with spaCy's scorer and save the
metrics (entity P/R/F1 micro and per type, words/second) as JSON, plus the
predicted Docs beside them (<output>.predictions.spacy) so reports can be
built from files alone, without running the model again.
"""
import platform
import sys
import time
from pathlib import Path

import spacy
import typer
from spacy.tokens import DocBin
from spacy.scorer import Scorer
from spacy.training import Corpus, Example
from wasabi import msg

from .common import atomic_path, run_cli, write_json_atomic
from .train import resolve_gpu


def predictions_path(metrics_path: Path) -> Path:
    return metrics_path.with_suffix(".predictions.spacy")


def evaluate(
    model: Path = typer.Argument(..., exists=True, help="Pipeline folder (e.g. model-best)"),
    data_path: Path = typer.Argument(..., exists=True, help="Gold DocBin, e.g. test.spacy"),
    output: Path = typer.Argument(..., help="Metrics JSON to write"),
    gpu: str = typer.Option("auto", help="'auto', a GPU id, or -1 for the CPU"),
) -> None:
    """Score MODEL on DATA_PATH and write OUTPUT (+ predictions)."""
    gpu_id = resolve_gpu(gpu)
    if gpu_id >= 0:
        spacy.require_gpu(gpu_id)
    nlp = spacy.load(model)
    gold = [eg.reference for eg in Corpus(data_path)(nlp)]
    # As `spacy evaluate` does: the pipeline sees the raw text (its own
    # tokenizer) and the scorer aligns its entities to the gold tokens.
    start = time.perf_counter()
    predicted = list(nlp.pipe(doc.text for doc in gold))
    elapsed = time.perf_counter() - start
    examples = [Example(pred, ref) for pred, ref in zip(predicted, gold)]
    scores = Scorer(nlp).score(examples)
    scores["speed"] = sum(len(doc) for doc in predicted) / elapsed
    metrics = {
        "model": str(model),
        "data": str(data_path),
        "device": f"gpu:{gpu_id}" if gpu_id >= 0 else f"cpu ({platform.processor() or platform.machine()})",
        "n_docs": len(examples),
        "n_words": sum(len(eg.reference) for eg in examples),
        "pipe_seconds": round(elapsed, 2),
        **{k: v for k, v in scores.items() if k.startswith("ents") or k == "speed"},
    }
    write_json_atomic(output, metrics)
    with atomic_path(predictions_path(output)) as tmp:
        DocBin(docs=predicted, store_user_data=False).to_disk(tmp)
    msg.table(
        [(label, f"{s['p']*100:.2f}", f"{s['r']*100:.2f}", f"{s['f']*100:.2f}")
         for label, s in sorted(metrics["ents_per_type"].items())]
        + [("MICRO", f"{metrics['ents_p']*100:.2f}", f"{metrics['ents_r']*100:.2f}", f"{metrics['ents_f']*100:.2f}")],
        header=("type", "P", "R", "F1"),
        aligns=("l", "r", "r", "r"),
    )
    msg.good(f"{output}: F1 {metrics['ents_f']*100:.2f}, {metrics['speed']:,.0f} words/s")


if __name__ == "__main__":
    sys.exit(run_cli(evaluate))
