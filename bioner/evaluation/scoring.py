"""Score a trained pipeline on a gold DocBin with spaCy's scorer: entity
P/R/F1 micro and per type, and words/second of `nlp.pipe`.

As `spacy evaluate` does, the pipeline sees the raw text (its own tokenizer)
and the scorer aligns its entities to the gold tokens.
"""
import platform
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import srsly
from spacy.language import Language
from spacy.scorer import Scorer
from spacy.tokens import Doc, DocBin
from spacy.training import Corpus, Example

from ..errors import BionerError
from ..io import atomic_paths
from ..layout import predictions_path
from .linking import linking_metrics
from ..runtime import load_pipeline, resolve_gpu, use_device


def gold_docs(nlp: Language, data_path: Path) -> List[Doc]:
    """The gold Docs of a DocBin, read with `nlp`'s vocab."""
    return [eg.reference for eg in Corpus(data_path)(nlp)]


def score_pipeline(nlp: Language, data_path: Path, device: str,
                   gold: Optional[List[Doc]] = None) -> Tuple[Dict[str, Any], List[Doc]]:
    """Metrics of `nlp` on the gold Docs in `data_path` (or `gold`, read from
    it already), and its predicted Docs."""
    gold = gold_docs(nlp, data_path) if gold is None else gold
    if not gold:
        raise BionerError(f"{data_path}: no documents to evaluate on. Run the convert step again.")
    start = time.perf_counter()
    predicted = list(nlp.pipe(doc.text for doc in gold))
    elapsed = time.perf_counter() - start
    examples = [Example(pred, ref) for pred, ref in zip(predicted, gold)]
    scores = Scorer(nlp).score(examples)
    if scores.get("ents_f") is None:
        raise BionerError(
            f"{data_path}: the scorer returned no entity scores (the gold data has no entities "
            f"and the pipeline predicted none). Evaluate on a split with entities."
        )
    scores["speed"] = sum(len(doc) for doc in predicted) / elapsed
    metrics = {
        "model": None,
        "data": str(data_path),
        "device": device,
        "n_docs": len(examples),
        "n_words": sum(len(eg.reference) for eg in examples),
        "pipe_seconds": round(elapsed, 2),
        **{k: v for k, v in scores.items() if k.startswith("ents") or k == "speed"},
    }
    return metrics, predicted


def device_name(gpu_id: int) -> str:
    return f"gpu:{gpu_id}" if gpu_id >= 0 else f"cpu ({platform.processor() or platform.machine()})"


def evaluate_model(model: Path, data_path: Path, output: Path, gpu: str = "auto") -> Dict[str, Any]:
    """Score the pipeline `model` on the gold DocBin `data_path`; write the
    metrics JSON `output` and the predicted Docs beside it, both only once
    the scores are complete. Returns the metrics."""
    gpu_id = resolve_gpu(gpu, "Evaluating")
    use_device(gpu_id)
    nlp = load_pipeline(model)
    gold = gold_docs(nlp, data_path)  # read once: scored for entities, then for concepts
    metrics, predicted = score_pipeline(nlp, data_path, device_name(gpu_id), gold)
    metrics["model"] = str(model)
    linking = linking_metrics(nlp, gold, predicted)
    if linking is not None:  # a pipeline with the linker, gold with concept ids
        metrics["linking"] = linking
    with atomic_paths([predictions_path(output), output], output.parent) as tmps:
        DocBin(docs=predicted, store_user_data=False).to_disk(tmps[predictions_path(output)])
        srsly.write_json(tmps[output], metrics)
    return metrics
