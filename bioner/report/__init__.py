"""Build a report a person can read from the evaluation outputs on disk: no
model is loaded and nothing is retrained, so it runs in seconds.

    corpus/<corpus>/test.spacy                    gold Docs
    corpus/<corpus>/stats.json                    corpus counts (optional)
    metrics/<corpus>/<model>.json                 scores, speed (evaluate step)
    metrics/<corpus>/<model>.predictions.spacy    predicted Docs, same texts
    training/<corpus>/<model>/training_log.jsonl  training curves (optional)
    bioner/report/anchors.yml                     published scores
    results/results.json                          reference rows of the benchmark (optional)
 -> reports/<corpus>/
    report.md             per-type P/R/F1 and support per model, micro and
                          macro averages, published numbers beside ours,
                          error taxonomy, exact vs partial matching
    per_type_f1.png       per-type F1 bars per model
    training_curves.png   loss and dev F1 per step
    confusion_<model>.png gold type vs predicted type, with "none"
    examples.html         displaCy renderings, sentences with errors first
    summary.json          the scores and taxonomy counts, for scripts

Every model with a metrics JSON *and* a predictions file beside it is
reported. Modules: markdown.py, plots.py, examples.py.
"""
import math
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional

import srsly
from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from ..console import warn
from ..layout import Layout, predictions_path
from ..registry import get_corpus
from ..errors import BionerError
from ..evaluation.taxonomy import by_category, check_aligned, scores, taxonomy
from .examples import examples_html
from .markdown import Anchor, build_markdown, pct
from .plots import plot_confusion, plot_per_type_f1, plot_training_curves

ANCHORS_FILE = Path(__file__).parent / "anchors.yml"


def anchors_for(corpus: str, results_path: Path) -> List[Anchor]:
    """Published scores for `corpus` (anchors.yml), and this project's
    reference rows as measured in results.json (so they never drift)."""
    data = srsly.read_yaml(ANCHORS_FILE)
    sources = data["sources"]
    anchors = [(a["system"], float(a["f1"]), sources.get(a["source"], a["source"]))
               for a in data["corpora"].get(corpus.lower(), [])]
    if Path(results_path).exists():
        results = srsly.read_json(results_path)
        references = results.get("references", {})  # model name -> description, as the benchmark names them
        for row in results.get("rows", []):
            if row["corpus"] == corpus and row["model"] in references:
                anchors.append((references[row["model"]], 100 * row["ents_f"],
                                f"this project, {results_path} ({row.get('trained_with', '')})"))
    return anchors


def read_docs(path: Path, vocab: Vocab) -> List[Doc]:
    return list(DocBin().from_disk(path).get_docs(vocab))


def find_models(metrics_dir: Path) -> List[str]:
    """Models with a metrics JSON and a predictions file beside it."""
    return sorted(p.stem for p in metrics_dir.glob("*.json") if predictions_path(p).exists())


def read_training_log(path: Path) -> List[Dict[str, Any]]:
    """Rows of a ConsoleLogger.v3 JSONL log: step, mean loss per step and
    component since the previous evaluation (the logger sums them), dev F1."""
    rows, prev_step = [], None
    for line in srsly.read_jsonl(path):
        step = int(line["step"])
        n_steps = max(step - prev_step, 1) if prev_step is not None else 1
        prev_step = step
        scores_ = line.get("scores", {})
        # the logger writes scores x 100; "score" is the weighted 0-1 score
        dev_f = scores_["ents_f"] if "ents_f" in scores_ else 100 * float(line["score"])
        losses = {k: float(v) / n_steps for k, v in line.get("losses", {}).items()}
        rows.append({"step": step, "epoch": line.get("epoch"), "losses": losses, "dev_f": float(dev_f)})
    return rows




def build_report(
    corpus: str,
    out_dir: Path,
    layout: Layout = Layout(),
    n_examples: int = 40,
    seed: int = 0,
    results_path: Optional[Path] = None,
) -> Dict[str, Any]:
    """Write every report file for CORPUS into the (new) folder OUT_DIR and
    return the scores per model (as in summary.json)."""
    gold_path = layout.docbin(corpus, "test")
    if not gold_path.exists():
        raise BionerError(f"{gold_path} not found. Run the convert step first.")
    metrics_dir = layout.metrics(corpus, "x").parent
    models = find_models(metrics_dir)
    if not models:
        raise BionerError(
            f"No metrics with predictions in {metrics_dir} (<model>.json + "
            f"<model>.predictions.spacy). Run the evaluate step first."
        )
    try:
        title = f"`{corpus}`, {get_corpus(corpus, layout.project_file).title}"
    except BionerError:
        title = f"`{corpus}`"
    stats_path = layout.stats(corpus)
    stats = srsly.read_json(stats_path) if stats_path.exists() else None
    vocab = Vocab()
    gold_docs = read_docs(gold_path, vocab)
    results: Dict[str, Dict[str, Any]] = {}
    preds: Dict[str, List[Doc]] = {}
    logs: Dict[str, List[Dict[str, Any]]] = {}
    warnings: List[str] = []
    for model in models:
        metrics_path = layout.metrics(corpus, model)
        metrics = srsly.read_json(metrics_path)
        preds[model] = read_docs(predictions_path(metrics_path), vocab)
        check_aligned(gold_docs, preds[model], name=str(predictions_path(metrics_path)))
        counts = taxonomy(gold_docs, preds[model])
        results[model] = {"metrics": metrics, "counts": counts,
                          "exact": scores(counts), "partial": scores(counts, partial=True)}
        recorded = metrics.get("ents_f")
        computed = results[model]["exact"]["micro"]["f"]
        if isinstance(recorded, (int, float)) and not math.isclose(recorded, computed, abs_tol=1e-4):
            warnings.append(
                f"`{model}`: {metrics_path.name} says F1 {pct(recorded)} but its predictions give "
                f"{pct(computed)}; the files may be from different runs."
            )
        log_path = layout.training_dir(corpus, model).log
        if log_path.exists():
            rows = read_training_log(log_path)
            if rows:
                logs[model] = rows
    for w in warnings:
        warn(w)
    # entity types, most frequent in the gold data first
    support = Counter(ent.label_ for doc in gold_docs for ent in doc.ents)
    all_labels = set(support) | {lb for r in results.values() for lb in r["exact"]["per_type"]}
    labels = sorted(all_labels, key=lambda lb: (-support[lb], lb))

    out_dir.mkdir(parents=True)
    plot_per_type_f1(results, labels, out_dir / "per_type_f1.png")
    plot_training_curves(logs, out_dir / "training_curves.png")
    for model in models:
        plot_confusion(results[model]["counts"], model, labels, out_dir / f"confusion_{model}.png")
    (out_dir / "examples.html").write_text(
        examples_html(corpus, gold_docs, preds, labels, n_examples=n_examples, seed=seed), encoding="utf8"
    )
    (out_dir / "report.md").write_text(
        build_markdown(corpus, title, results, labels, stats, logs, warnings,
                       anchors_for(corpus, results_path or layout.results_table(".json"))), encoding="utf8"
    )
    summary = {
        m: {"exact": r["exact"], "partial": r["partial"],
            "taxonomy": {lb: dict(c) for lb, c in by_category(r["counts"]).items()}}
        for m, r in results.items()
    }
    srsly.write_json(out_dir / "summary.json", summary)
    return summary


