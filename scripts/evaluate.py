"""Evaluate a trained pipeline on a gold DocBin (bioner.evaluation.scoring):
entity P/R/F1 micro and per type and words/second, as JSON, plus the
predicted Docs beside it (<output>.predictions.spacy) for the report.
Both are written only when the scores are complete."""
import sys
from pathlib import Path
from typing import List, Optional

import typer

from bioner.console import good, print_table, run_cli
from bioner.evaluation.scoring import evaluate_model


def evaluate(
    model: Path = typer.Argument(..., exists=True, help="Pipeline folder (e.g. model-best)"),
    data_path: Path = typer.Argument(..., exists=True, help="Gold DocBin, e.g. test.spacy"),
    output: Path = typer.Argument(..., help="Metrics JSON to write"),
    gpu: str = typer.Option("auto", help="'auto', a GPU id, or -1 for the CPU"),
) -> None:
    """Score MODEL on DATA_PATH and write OUTPUT (+ predictions)."""
    metrics = evaluate_model(model, data_path, output, gpu)
    pct = lambda s: f"{s * 100:.2f}"  # noqa: E731
    print_table(
        [(label, pct(s["p"]), pct(s["r"]), pct(s["f"])) for label, s in sorted(metrics["ents_per_type"].items())]
        + [("MICRO", pct(metrics["ents_p"]), pct(metrics["ents_r"]), pct(metrics["ents_f"]))],
        header=("type", "P", "R", "F1"),
        aligns=("l", "r", "r", "r"),
    )
    good(f"{output}: F1 {metrics['ents_f']*100:.2f}, {metrics['speed']:,.0f} words/s")
    linking = metrics.get("linking")
    if linking is not None:
        print_table(
            [(label, pct(s["p"]), pct(s["r"]), pct(s["f"]), pct(linking["accuracy_at_1"]["per_type"][label]["accuracy"]))
             for label, s in sorted(linking["concepts"]["per_type"].items()) if label in linking["accuracy_at_1"]["per_type"]]
            + [("MICRO", pct(linking["concepts"]["p"]), pct(linking["concepts"]["r"]), pct(linking["concepts"]["f"]),
                pct(linking["accuracy_at_1"]["accuracy"]))],
            header=("concepts", "P", "R", "F1", "acc@1 (gold mentions)"),
            aligns=("l", "r", "r", "r", "r"),
        )


def main(argv: Optional[List[str]] = None) -> int:
    return run_cli(evaluate, argv)


if __name__ == "__main__":
    sys.exit(main())
