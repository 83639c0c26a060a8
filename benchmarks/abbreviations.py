"""The abbreviations component with and without `relabel` on a
gold split: the NER runs once, then each variant of the component runs on a
copy of its Docs, and spaCy's scorer gives entity P/R/F1 micro and per type.

    python -m scripts.abbreviation_labels training/bc5cdr/cnn/model-best corpus/bc5cdr/dev.spacy \
        --output results/abbreviations/bc5cdr_cnn_1500_steps_dev.json

`relabel=False` is the old behaviour (short forms the NER did not tag take
their long form's label); `relabel=True` also gives that label to the short
forms the NER tagged with another one. Prints a table and, with --output,
writes the scores and the number of entities each variant changed as JSON.
"""
from pathlib import Path
from typing import Any, Dict, Optional

import srsly
import typer
from spacy.scorer import Scorer
from spacy.training import Corpus, Example

from bioner.components.abbreviations import FACTORY, propagate_abbreviations
from bioner.console import print_table
from bioner.errors import BionerError
from bioner.io import write_json_atomic
from bioner.runtime import load_pipeline


def compare(model: str, data_path: Path) -> Dict[str, Any]:
    """{"none" | "old" | "new": scores} of the model's NER on data_path: without
    the component, with relabel=False, with relabel=True."""
    nlp = load_pipeline(model)
    names = [n for n, _ in nlp.pipeline if nlp.get_pipe_meta(n).factory == FACTORY]
    gold = [eg.reference for eg in Corpus(data_path)(nlp)]
    if not gold:
        raise BionerError(f"{data_path}: no documents")
    with nlp.select_pipes(disable=names):
        base = list(nlp.pipe(doc.text for doc in gold))
    results: Dict[str, Any] = {"model": str(model), "data": str(data_path), "n_docs": len(gold)}
    before = [[(e.start, e.end, e.label_) for e in d.ents] for d in base]
    for variant, run in (("none", lambda d: d), ("old", lambda d: propagate_abbreviations(d, relabel=False)),
                         ("new", lambda d: propagate_abbreviations(d, relabel=True))):
        predicted = [run(d.copy()) for d in base]
        scores = Scorer(nlp).score([Example(p, g) for p, g in zip(predicted, gold)])
        changed = sum(len(set(b) ^ {(e.start, e.end, e.label_) for e in p.ents}) for b, p in zip(before, predicted))
        results[variant] = {"ents_p": scores["ents_p"], "ents_r": scores["ents_r"], "ents_f": scores["ents_f"],
                            "ents_per_type": scores["ents_per_type"], "entities_changed": changed}
    return results


def main(
    model: str = typer.Argument(..., help="Pipeline folder or package with the abbreviations component"),
    data_path: Path = typer.Argument(..., exists=True, help="Gold DocBin, e.g. corpus/bc5cdr/dev.spacy"),
    output: Optional[Path] = typer.Option(None, help="Write the scores here as JSON"),
) -> None:
    results = compare(model, data_path)
    pct = lambda s: f"{s * 100:.2f}"  # noqa: E731
    rows = []
    for variant, title in (("none", "no component"), ("old", "relabel=False (old)"), ("new", "relabel=True (new)")):
        r = results[variant]
        per_type = ", ".join(f"{k} {pct(v['f'])}" for k, v in sorted(r["ents_per_type"].items()))
        rows.append((title, pct(r["ents_p"]), pct(r["ents_r"]), pct(r["ents_f"]), per_type, str(r["entities_changed"])))
    print_table(rows, header=("component", "P", "R", "F1", "F1 per type", "entities changed vs NER alone"),
                aligns=("l", "r", "r", "r", "l", "r"))
    if output is not None:
        write_json_atomic(output, results)

